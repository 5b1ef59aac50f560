"""``.npy`` and ``.npz`` files read with their sizes checked before numpy allocates anything.

numpy allocates the array a ``.npy`` header declares before reading its data, so a 128-byte file
claiming ``shape (10000000000,)`` would ask for 74 GiB, and a 2 MB ``.npz`` can inflate to
gigabytes. Here every array's declared size must fit both what the file holds and
:data:`MAX_ARRAY_BYTES`; object arrays (which need pickle) are refused.
"""

from __future__ import annotations

import math
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from nesy.errors import DataError

__all__ = ["MAX_ARRAY_BYTES", "load_npy", "load_npz", "check_text_file"]

#: The most bytes one array may take once read (decompressed, for ``.npz``).
MAX_ARRAY_BYTES = 1024 * 2**20
# What numpy raises on a malformed header or body: its header is a Python literal, read with
# Python's tokenizer (found by the fuzz tests: tokenize.TokenError, SyntaxError).
_MALFORMED = (OSError, ValueError, EOFError, SyntaxError, TypeError, tokenize.TokenError)
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _declared_bytes(handle: IO[bytes], held: int, where: str, what: str, max_bytes: int) -> None:
    """Check the ``.npy`` header at the start of ``handle`` against the ``held`` bytes the
    file (or zip member) has, and against ``max_bytes``."""
    try:
        version = np.lib.format.read_magic(handle)
        if version not in _HEADER_READERS:
            raise DataError(f"{where}: not {what} (.npy format version {version})")
        shape, _, dtype = _HEADER_READERS[version](handle)
    except _MALFORMED as error:
        raise DataError(f"{where}: not {what} ({error})") from error
    if dtype.hasobject:
        raise DataError(f"{where}: not {what} (it holds Python objects, which need pickle)")
    size = math.prod(shape) * dtype.itemsize
    if size > max_bytes:
        raise DataError(
            f"{where}: an array of shape {shape} ({size:,} bytes) exceeds the bound of "
            f"{max_bytes:,} bytes"
        )
    data = held - handle.tell()
    if size > data:
        raise DataError(f"{where}: its header declares {size:,} bytes, the file holds {data:,}")


def check_text_file(path: Path, max_bytes: int = MAX_ARRAY_BYTES) -> None:
    """A text input (labels, CSV conditions) is a file of at most ``max_bytes`` bytes: Python
    holds its rows at several times their size.

    Raises
    ------
    DataError
        A folder, or a larger file.
    """
    if path.is_dir():
        raise DataError(f"{path}: a folder, not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(f"{path}: {size:,} bytes, more than the bound of {max_bytes:,}")


def load_npy(path: Path, what: str, max_bytes: int = MAX_ARRAY_BYTES) -> np.ndarray:
    """The array in a ``.npy`` file; ``what`` the file should be, for messages ("a .npy array
    of class indices").

    Raises
    ------
    DataError
        A folder, not a ``.npy`` file, an object array, or a header that declares more than
        the file holds or than ``max_bytes``.
    """
    if path.is_dir():
        raise DataError(f"{path}: a folder, not a .npy file")
    with path.open("rb") as handle:
        _declared_bytes(handle, path.stat().st_size, str(path), what, max_bytes)
    try:
        return np.load(path, allow_pickle=False)
    except _MALFORMED as error:
        raise DataError(f"{path}: not {what} ({error})") from error


def load_npz(
    path: Path, keys: tuple[str, ...], what: str, max_bytes: int = MAX_ARRAY_BYTES
) -> dict[str, np.ndarray]:
    """The arrays ``keys`` of a ``.npz`` file; ``what`` the file should be, for messages.

    Raises
    ------
    DataError
        A folder, not a zip of ``.npy`` arrays, a missing key, or an array that :func:`load_npy`
        would refuse.
    """
    if path.is_dir():
        raise DataError(f"{path}: a folder, not a .npz file")
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name.removesuffix(".npy"): name for name in archive.namelist()}
            for key in keys:
                if key not in members:
                    expected = " and ".join(f"'{k}'" for k in keys)
                    raise DataError(f"{path}: no array '{key}' (expected {expected})")
                info = archive.getinfo(members[key])
                with archive.open(info) as handle:
                    where = f"{path}: '{key}'"
                    _declared_bytes(handle, info.file_size, where, what, max_bytes)
                with archive.open(info) as handle:
                    arrays[key] = np.lib.format.read_array(handle, allow_pickle=False)
    except (*_MALFORMED, zipfile.BadZipFile, zlib.error) as error:
        raise DataError(f"{path}: not {what} ({error})") from error
    return arrays
