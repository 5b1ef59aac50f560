"""Hostile input to the EDCR readers and commands (issue 16): refused with a DataError or
ConfigError naming the file, before anything large is allocated or any work is done."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from nesy.cli import main
from nesy.errors import DataError
from solvers.edcr.arrays import load_npy, load_npz
from solvers.edcr.cli import read_labels
from solvers.edcr.conditions import read_conditions
from solvers.edcr.rules import read_rules


def _npy_header(shape: tuple[int, ...], descr: str = "<i8") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header = header.ljust(117) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()


def test_a_npy_header_claiming_more_than_the_file_holds_is_refused(tmp_path):
    # numpy used to allocate the 74 GiB the header declares before finding the data missing
    path = tmp_path / "p.npy"
    path.write_bytes(_npy_header((10_000_000_000,)) + b"\0" * 16)
    with pytest.raises(DataError, match="exceeds the bound of"):
        read_labels(path)
    path.write_bytes(_npy_header((1000,)) + b"\0" * 16)
    with pytest.raises(DataError, match="its header declares 8,000 bytes, the file holds 16"):
        read_labels(path)


def test_an_npz_member_over_the_bound_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "c.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("values.npy", "w") as member:
            member.write(_npy_header((100_000, 1), "|b1") + b"\0" * 100_000)
        with archive.open("names.npy", "w") as member:
            member.write(_npy_header((1,), "<U1") + b"a\0\0\0")
    with pytest.raises(DataError, match=r"'values': an array of shape \(100000, 1\)"):
        read_conditions(path, max_bytes=10_000)
    assert read_conditions(path).values.shape == (100_000, 1)  # under the default bound


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    path = tmp_path / "o.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="holds Python objects"):
        load_npy(path, "an array")
    archive = tmp_path / "o.npz"
    np.savez(archive, values=np.array([None], dtype=object))
    with pytest.raises(DataError, match="holds Python objects"):
        load_npz(archive, ("values",), "an archive")


@pytest.mark.parametrize("reader", [read_labels, read_conditions, read_rules])
def test_a_folder_is_refused_by_every_reader(tmp_path, reader):
    folder = tmp_path / "x.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="a folder"):
        reader(folder)


def test_a_text_file_over_the_bound_is_refused(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("a\n" + "1\n" * 10_000)
    with pytest.raises(DataError, match="20,002 bytes, more than the bound of 1,000"):
        read_conditions(path, max_bytes=1000)


def _inputs(tmp_path: Path) -> list[str]:
    np.save(tmp_path / "p.npy", np.array([0, 1, 1]))
    (tmp_path / "c.csv").write_text("a\n1\n0\n1\n")
    return ["--predictions", str(tmp_path / "p.npy"), "--conditions", str(tmp_path / "c.csv")]


def test_learn_refuses_an_out_it_could_not_write_before_learning(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    args = ["edcr", "learn", *_inputs(tmp_path), "--labels", str(tmp_path / "p.npy")]
    assert main([*args, "--out", str(blocker / "r.json")]) == 1
    assert f"--out: {blocker} is a file, not a folder" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "r.json"), "--program", str(tmp_path)]) == 1
    assert f"--program: {tmp_path} is a folder" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()  # nothing written when any output is bad


def test_a_negative_seed_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["edcr", "fashion", "--out", "x", "--seed", "-1"])
    assert exit_.value.code == 2
    assert "argument --seed: must be at least 0; got -1" in capsys.readouterr().err


def test_a_corrupt_deflate_stream_in_an_npz_is_a_data_error(tmp_path):
    # found by the fuzz tests: zlib.error escaped the reader
    path = tmp_path / "c.npz"
    np.savez_compressed(path, values=np.ones((50, 2), dtype=bool), names=np.array(["a", "b"]))
    data = bytearray(path.read_bytes())
    start = data.index(b"values.npy") + len(b"values.npy") + 20  # into the deflate stream
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="not a conditions .npz file"):
        read_conditions(path)
