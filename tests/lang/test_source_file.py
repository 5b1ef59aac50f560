"""Program files that are not programs (issue 16): folders, endless devices, bytes that are
not UTF-8. Each is a NesyError that says so, the last at the first bad byte."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nesy.errors import NesyError
from nesy.lang import parse_file
from nesy.lang.prolog import parse_prolog_file


@pytest.mark.parametrize("reader", [parse_file, parse_prolog_file])
def test_bytes_that_are_not_utf8_are_positioned(tmp_path, reader):
    path = tmp_path / "p.nesy"
    path.write_bytes("a.\nb(é) ".encode() + b"\xff:- a.\n")
    with pytest.raises(NesyError) as raised:
        reader(path)
    assert str(raised.value).startswith(f"{path}:2:6: not UTF-8 text: byte 0xff")


@pytest.mark.parametrize("reader", [parse_file, parse_prolog_file])
def test_a_folder_and_an_endless_device_are_refused(tmp_path, reader):
    with pytest.raises(NesyError, match="a folder, not a file"):
        reader(tmp_path)
    with pytest.raises(NesyError, match="/dev/zero: more than 104,857,600 bytes"):
        reader("/dev/zero")


def test_nesy_solve_refuses_non_utf8_instead_of_aborting(tmp_path):
    # clingo's message quoting the bad byte made it abort the process (PANIC, exit -6)
    path = tmp_path / "p.lp"
    path.write_bytes(b"a.\n\xff\xfe b.\n")
    done = subprocess.run(
        [sys.executable, "-m", "nesy", "solve", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"nesy: error: {path}:2:1: not UTF-8 text: byte 0xff")


def test_nesy_solve_refuses_an_included_file_that_is_not_utf8(tmp_path):
    (tmp_path / "bad.lp").write_bytes(b"b.\n\xff.\n")
    path = tmp_path / "main.lp"
    path.write_text('#include "bad.lp".\na.\n')
    done = subprocess.run(
        [sys.executable, "-m", "nesy", "solve", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"nesy: error: {tmp_path / 'bad.lp'}:2:1: not UTF-8 text")
