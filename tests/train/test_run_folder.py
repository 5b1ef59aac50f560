"""The run folder: fresh per run, never an earlier run's, refused before any work when unusable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nesy.errors import ConfigError
from nesy.train.run_folder import (
    default_out,
    discard_unstarted,
    prepare_out,
    read_record,
    write_record,
)


def test_each_run_gets_a_fresh_folder_named_after_the_program(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = prepare_out(None, "programs/mnist_addition.nesy", resume=False)
    assert first.parent == Path("runs") and first.name.startswith("mnist_addition-")
    assert first.name.endswith("Z") and first.is_dir()
    second = default_out("programs/mnist_addition.nesy")
    assert second != first and not second.exists()
    monkeypatch.setattr(time, "gmtime", lambda *_: time.struct_time((2026, 1, 2, 3, 4, 5, 0, 0, 0)))
    taken = default_out("p.nesy")
    assert taken == Path("runs/p-20260102T030405Z")
    taken.mkdir()
    assert default_out("p.nesy") == Path("runs/p-20260102T030405Z-2")


def test_an_earlier_run_is_never_reused_without_resume(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").write_text('{"epoch": 1}\n')
    with pytest.raises(ConfigError, match=r"holds an earlier run \(log.jsonl\); --resume"):
        prepare_out(tmp_path, "p.nesy", resume=False)
    assert (tmp_path / "log.jsonl").read_text() == '{"epoch": 1}\n'


def test_an_empty_folder_or_a_new_path_is_used(tmp_path: Path) -> None:
    assert prepare_out(tmp_path, "p.nesy", resume=False) == tmp_path
    assert prepare_out(tmp_path / "a" / "b", "p.nesy", resume=False).is_dir()


def test_a_file_or_an_unwritable_place_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    # the wording of nesy.outputs.writable_folder, which every --out shares
    for resume in (False, True):  # a file is named as such, with --resume too
        with pytest.raises(ConfigError, match="--out: .*/f is a file, not a folder"):
            prepare_out(tmp_path / "f", "p.nesy", resume=resume)
    with pytest.raises(ConfigError, match="--out: cannot write into .*/f/run"):
        prepare_out(tmp_path / "f" / "run", "p.nesy", resume=False)
    with pytest.raises(ConfigError, match="--out: cannot write into /proc/nesy-run"):
        prepare_out(Path("/proc/nesy-run"), "p.nesy", resume=False)


def test_resume_needs_a_run_with_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--resume needs --out"):
        prepare_out(None, "p.nesy", resume=True)
    with pytest.raises(ConfigError, match="checkpoint.pt not found; nothing to continue"):
        prepare_out(tmp_path, "p.nesy", resume=True)
    with pytest.raises(ConfigError, match="checkpoint.pt not found; nothing to continue"):
        prepare_out(tmp_path / "never", "p.nesy", resume=True)
    assert not (tmp_path / "never").exists()  # a refused --resume leaves no folder behind


def test_leftovers_of_a_killed_save_are_removed(tmp_path: Path) -> None:
    (tmp_path / "checkpoint.pt").write_bytes(b"state")
    (tmp_path / ".checkpoint.pt.abc123.tmp").write_bytes(b"half a")
    assert prepare_out(tmp_path, "p.nesy", resume=True) == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]
    only_leftovers = tmp_path / "killed"
    only_leftovers.mkdir()
    (only_leftovers / ".log.jsonl.x.tmp").write_text("")
    assert list(prepare_out(only_leftovers, "p.nesy", resume=False).iterdir()) == []


def test_the_run_record_round_trips(tmp_path: Path) -> None:
    assert read_record(tmp_path) == {}
    write_record(tmp_path, {"threads": 1, "device": "cpu"})
    assert read_record(tmp_path) == {"threads": 1, "device": "cpu"}
    (tmp_path / "run.json").write_text("{broken")
    with pytest.raises(ConfigError, match="run.json: not a readable run record"):
        read_record(tmp_path)


def test_a_run_refused_before_training_leaves_nothing(tmp_path: Path) -> None:
    out = prepare_out(tmp_path / "new", "p.nesy", resume=False)
    write_record(out, {"threads": 1})
    discard_unstarted(out, remove_folder=True)
    assert not out.exists()
    given = prepare_out(tmp_path, "p.nesy", resume=False)  # an empty folder the user named
    write_record(given, {"threads": 1})
    discard_unstarted(given, remove_folder=False)
    assert given.is_dir() and list(given.iterdir()) == []
    write_record(given, {"threads": 1})
    (given / "log.jsonl").write_text("")  # it started: kept
    discard_unstarted(given, remove_folder=False)
    assert sorted(p.name for p in given.iterdir()) == ["log.jsonl", "run.json"]
