"""Property: any file given to the DIMACS reader or the EDCR readers gives a result or a
NesyError, never another exception (issue 16). Inputs are token soups of each format and
byte-level mutations of valid files (plain, gzip, xz, .npy, .npz, CSV, rule JSON); the seed is
fixed (derandomize) and the examples few, so the run takes seconds."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import lzma
import tempfile
from pathlib import Path

import numpy as np
from fuzz_settings import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from nesy.errors import NesyError
from solvers.edcr.cli import read_labels
from solvers.edcr.conditions import read_conditions
from solvers.edcr.rules import read_rules
from solvers.sat.dimacs import parse_dimacs, read_dimacs

DIMACS_TOKENS = [
    "p",
    "cnf",
    "c",
    "%",
    "0",
    "1",
    "-1",
    "2",
    "-",
    "+1",
    "1_0",
    "\u0661",
    "2147483647",
    "2147483648",
    "4294967297",
    "9" * 5000,
    "-" + "9" * 30,
    "1000000000",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "\xff",
    "c comment\n",
    "p cnf 3 2\n",
    "p cnf 100000000 1\n",
    "p cnf 0 0\n",
]
dimacs_text = st.lists(st.sampled_from(DIMACS_TOKENS), max_size=80).map("".join)


def _mutate(data: bytes, draw) -> bytes:
    """A few bytes flipped, a span cut out or repeated."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "repeat", "truncate"]))
        if kind == "flip":
            data[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[i : i + draw(st.integers(1, 16))]
        elif kind == "repeat":
            data[i:i] = data[i : i + 8] * draw(st.integers(1, 20))
        else:
            del data[i:]
    return bytes(data)


@st.composite
def dimacs_files(draw) -> tuple[str, bytes]:
    text = draw(st.one_of(dimacs_text, st.just("c ok\np cnf 3 2\n1 -2 0\n2 3 0\n%\n0\n")))
    suffix = draw(st.sampled_from([".cnf", ".cnf.gz", ".cnf.xz"]))
    data = text.encode("utf-8", "surrogatepass")
    data = {".cnf.gz": gzip.compress, ".cnf.xz": lzma.compress}.get(suffix, bytes)(data)
    return suffix, _mutate(data, draw) if draw(st.booleans()) else data


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


VALID_EDCR = {
    ".npy": _npy(np.array([0, 1, 2, 1])),
    ".txt": b"label\n0\n1\n2\n1\n",
    ".npz": _npz(values=np.array([[1, 0], [0, 1]], dtype=bool), names=np.array(["a", "b"])),
    ".csv": b"a,b\n1,0\n0,1\n",
    ".json": json.dumps(
        {"format": "nesy-edcr-rules", "version": 1, "classes": ["x", "y"], "rules": []}
    ).encode(),
}
EDCR_TOKENS = ["0", "1", "-1", "1_0", "1.0", ",", "\n", '"', "a", "#", "\xff", "9" * 30, "{", "}"]


@st.composite
def edcr_files(draw) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(sorted(VALID_EDCR)))
    if draw(st.booleans()):
        soup = draw(st.lists(st.sampled_from(EDCR_TOKENS), max_size=60))
        return suffix, "".join(soup).encode("utf-8", "surrogatepass")
    return suffix, _mutate(VALID_EDCR[suffix], draw)


def _read(suffix: str, data: bytes, reader) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        with contextlib.suppress(NesyError):
            reader(path)


@FUZZ
@given(dimacs_text)
def test_dimacs_text_parses_or_raises_a_nesy_error(text):
    with contextlib.suppress(NesyError):
        parse_dimacs(text)


@FUZZ
@given(dimacs_files())
def test_dimacs_files_read_or_raise_a_nesy_error(file):
    _read(*file, read_dimacs)


EDCR_READERS = {
    ".npy": read_labels,
    ".txt": read_labels,
    ".npz": read_conditions,
    ".csv": read_conditions,
    ".json": read_rules,
}


@FUZZ
@given(edcr_files())
def test_edcr_files_read_or_raise_a_nesy_error(file):
    suffix, data = file
    _read(suffix, data, EDCR_READERS[suffix])
