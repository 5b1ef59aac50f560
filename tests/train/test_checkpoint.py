"""Checkpoints: atomic writes, round trips, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nesy.errors import DataError
from nesy.train.checkpoint import atomic_write_bytes, load_checkpoint, save_checkpoint


def test_round_trip_leaves_no_temp_file(tmp_path: Path) -> None:
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    path = save_checkpoint(
        tmp_path / "sub" / "c.pt",
        {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 2, "name": "x"},
    )
    assert [p.name for p in path.parent.iterdir()] == ["c.pt"]
    assert path.stat().st_mode & 0o777 == 0o644
    state = load_checkpoint(path)
    assert state["epoch"] == 2 and state["name"] == "x"
    assert torch.equal(state["model"]["weight"], net.weight.detach())
    other = torch.optim.Adam(net.parameters())
    other.load_state_dict(state["optimizer"])


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c.pt", {"epoch": 1})

    def explode(handle) -> None:
        handle.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write_bytes(path, explode)
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    assert load_checkpoint(path)["epoch"] == 1


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope.pt: checkpoint not found"):
        load_checkpoint(tmp_path / "nope.pt")


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", b"PK\x03\x04garbage"])
def test_corrupt_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"bad.pt: not a readable checkpoint"):
        load_checkpoint(path)


def test_truncated_file(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c.pt", {"w": torch.ones(1000)})
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_arbitrary_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"f": Path("x")}, path)  # a pickled object, not weights
    with pytest.raises(DataError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_non_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.pt"
    torch.save([1, 2], path)
    with pytest.raises(DataError, match="must hold a dict; found list"):
        load_checkpoint(path)
