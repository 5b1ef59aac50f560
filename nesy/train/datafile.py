"""Training examples read from a JSON Lines file: the format of ``nesy train PROGRAM --data FILE``.

One example per line, a JSON object with the query's input tensors by name and the observed
answer::

    {"inputs": {"a": "digits.npy#17", "b": "digits.npy#3"}, "answer": 12}
    {"inputs": {"a": "img/4.png", "b": "img/9.png"}, "answer": 13}
    {"inputs": {"x": [0.1, 0.2], "y": [0.7, 0.1]}, "answer": true}

``inputs`` maps every name that the query's ``tensor(NAME)`` terms use to a tensor, written as

- ``"FILE.npy#ROW"``: row ``ROW`` (0-based, first axis) of a NumPy array; ``"FILE.npy"`` alone is
  the whole array;
- ``"FILE.npz#KEY#ROW"`` or ``"FILE.npz#KEY"``: the same for array ``KEY`` of an ``.npz`` file;
- ``"FILE.png"`` (or ``.jpg``, ``.jpeg``, ``.bmp``, ``.gif``): an image, read with Pillow as
  ``(C, H, W)`` float32 (``C`` = 1 for greyscale, 3 for colour) with pixels ``0..255`` mapped to
  ``[-1, 1]``, DeepProbLog's image transform, which is what ``mnist_net`` expects;
- a number or a (nested) list of numbers: the tensor itself, as float32.

Relative paths are read from the data file's folder. Arrays are loaded with
``allow_pickle=False`` (a data file never runs code); floating-point arrays become float32 and
integer arrays int64, otherwise as stored (store images as the network expects them, e.g.
normalised). All tensors of one name have the same shape on every line.

``answer`` is what was observed for the program's query: the value of its free variable (a
number or a constant such as ``"red"``; a string of digits is read as the number), a list of
values for a query with several free variables (in the order they first appear), or
``true``/``false`` for a ground query. Blank lines are skipped.

Every malformed line is a :class:`~nesy.errors.DataError` at ``FILE:LINE:COLUMN`` that says what
was expected.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from nesy.errors import DataError
from nesy.lang.ir import Span
from nesy.neural.datasets import normalise

__all__ = ["IMAGE_SUFFIXES", "Examples", "read_examples"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True, slots=True)
class Examples:
    """The examples of one data file.

    Shape:
        inputs: ``{name: (n, ...)}``; answers and lines: ``n`` each.
    """

    path: Path
    inputs: dict[str, Tensor]
    answers: tuple[object, ...]  # JSON values; lists as tuples, digit strings as ints
    lines: tuple[int, ...]  # the file line of each example, 1-based

    def __len__(self) -> int:
        return len(self.answers)

    def subset(self, index: Sequence[int]) -> Examples:
        """The examples at positions ``index``, in that order."""
        rows = torch.as_tensor(list(index), dtype=torch.int64)
        return Examples(
            self.path,
            {name: t[rows] for name, t in self.inputs.items()},
            tuple(self.answers[i] for i in index),
            tuple(self.lines[i] for i in index),
        )

    def span(self, i: int) -> Span:
        """Where example ``i`` is written."""
        return Span(str(self.path), self.lines[i], 1, self.lines[i], 1)


def read_examples(path: str | os.PathLike[str]) -> Examples:
    """Read a JSON Lines data file (format: this module's docstring).

    Raises
    ------
    DataError
        The file is missing or empty, or a line is malformed; positioned at ``FILE:LINE:COL``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such data file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the data file ({exc})") from None
    reader = _Reader(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            reader.add(number, line)
    return reader.finish()


class _Reader:
    """Collects the rows of one file, checking each line against the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.arrays: dict[tuple[Path, str | None], np.ndarray] = {}
        self.rows: dict[str, list[Tensor]] = {}
        self.first_line: dict[str, int] = {}
        self.answers: list[object] = []
        self.lines: list[int] = []

    def error(self, number: int, line: str, message: str, near: str | None = None) -> DataError:
        column = line.find(near) + 1 if near is not None and near in line else 1
        span = Span(str(self.path), number, column, number, column + 1)
        return DataError(message, span, source_text=None)

    def add(self, number: int, line: str) -> None:
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            span = Span(str(self.path), number, exc.colno, number, exc.colno + 1)
            raise DataError(f"not a JSON object: {exc.msg}", span) from None
        if not isinstance(row, dict):
            raise self.error(
                number, line, 'expected a JSON object {"inputs": {...}, "answer": ...}'
            )
        unknown = sorted(set(row) - {"inputs", "answer"})
        if unknown:
            raise self.error(
                number, line, f"unknown key {unknown[0]!r}; expected 'inputs' and 'answer'"
            )
        for key in ("inputs", "answer"):
            if key not in row:
                raise self.error(number, line, f"missing {key!r}; expected 'inputs' and 'answer'")
        inputs = row["inputs"]
        if not isinstance(inputs, dict) or not inputs:
            raise self.error(
                number, line, "'inputs' must be a non-empty object {name: tensor}", '"inputs"'
            )
        if self.rows and set(inputs) != set(self.rows):
            first = next(iter(self.first_line.values()))
            raise self.error(
                number,
                line,
                f"inputs {sorted(inputs)} differ from line {first}'s {sorted(self.rows)}",
                '"inputs"',
            )
        for name, value in inputs.items():
            where = json.dumps(name)
            try:
                tensor = self.tensor(value)
            except DataError as exc:
                raise self.error(number, line, f"input {name!r}: {exc.message}", where) from None
            if name in self.rows and tensor.shape != self.rows[name][0].shape:
                raise self.error(
                    number,
                    line,
                    f"input {name!r} has shape {tuple(tensor.shape)}; line "
                    f"{self.first_line[name]} gave {tuple(self.rows[name][0].shape)}",
                    where,
                )
            self.rows.setdefault(name, []).append(tensor)
            self.first_line.setdefault(name, number)
        try:
            self.answers.append(_answer(row["answer"]))
        except DataError as exc:
            raise self.error(number, line, exc.message, '"answer"') from None
        self.lines.append(number)

    def tensor(self, value: Any) -> Tensor:
        """One input written as a reference into an array or image file, or inline numbers."""
        if isinstance(value, str):
            return self.referenced(value)
        if isinstance(value, bool) or not _is_numbers(value):
            raise DataError(
                'expected "FILE.npy#ROW", "FILE.npz#KEY#ROW", an image file, or numbers; '
                f"got {json.dumps(value)[:60]}"
            )
        try:
            return torch.tensor(value, dtype=torch.float32)
        except ValueError as exc:  # ragged nesting
            raise DataError(f"inline numbers must form a rectangular array ({exc})") from None

    def referenced(self, reference: str) -> Tensor:
        name, *parts = reference.split("#")
        file = self.path.parent / name
        suffix = file.suffix.lower()
        if suffix in IMAGE_SUFFIXES and not parts:
            return _image(file)
        if suffix == ".npy" and len(parts) <= 1:
            array, row = self.array(file, None), parts[0] if parts else None
        elif suffix == ".npz" and len(parts) in (1, 2):
            array, row = self.array(file, parts[0]), parts[1] if len(parts) == 2 else None
        else:
            raise DataError(
                f"cannot read {reference!r}: expected FILE.npy[#ROW], FILE.npz#KEY[#ROW] or an "
                f"image ({', '.join(IMAGE_SUFFIXES)})"
            )
        if row is None:
            return _as_tensor(np.asarray(array))
        if not _INTEGER.fullmatch(row) or not 0 <= int(row) < len(array):
            raise DataError(f"row {row!r} of {name}: expected an integer in 0..{len(array) - 1}")
        return _as_tensor(np.asarray(array[int(row)]))

    def array(self, file: Path, key: str | None) -> np.ndarray:
        """The array in ``file`` (under ``key`` for ``.npz``), loaded once per file."""
        if (file, key) in self.arrays:
            return self.arrays[(file, key)]
        try:
            array: np.ndarray
            if key is None:
                array = np.load(file, mmap_mode="r", allow_pickle=False)
            else:
                with np.load(file, allow_pickle=False) as archive:
                    if key not in archive.files:
                        raise DataError(f"{file.name} has no array {key!r}; it has {archive.files}")
                    array = archive[key]
        except FileNotFoundError:
            raise DataError(f"no such file: {file}") from None
        except (OSError, ValueError, EOFError) as exc:
            raise DataError(f"cannot load {file.name} as a NumPy array ({exc})") from None
        if array.ndim == 0:
            raise DataError(f"{file.name}: a 0-dimensional array has no rows")
        self.arrays[(file, key)] = array
        return array

    def finish(self) -> Examples:
        if not self.answers:
            raise DataError(f"{self.path}: the data file holds no examples")
        inputs = {name: torch.stack(rows) for name, rows in self.rows.items()}
        return Examples(self.path, inputs, tuple(self.answers), tuple(self.lines))


def _is_numbers(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_numbers(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _answer(value: Any) -> object:
    """A JSON answer as a model answer value: lists as tuples, strings of digits as integers."""
    if isinstance(value, list) and value:
        return tuple(_answer(v) for v in value)
    if isinstance(value, bool | int):
        return value
    if isinstance(value, str) and value:
        return int(value) if _INTEGER.fullmatch(value) else value
    raise DataError(
        "'answer' must be a number, a constant (string), true/false, or a list of numbers and "
        f"constants; got {json.dumps(value)[:60]}"
    )


def _as_tensor(array: np.ndarray) -> Tensor:
    if np.issubdtype(array.dtype, np.floating):
        return torch.tensor(array, dtype=torch.float32)
    if np.issubdtype(array.dtype, np.integer):
        return torch.tensor(array, dtype=torch.int64)
    if array.dtype == np.bool_:
        return torch.tensor(array)
    raise DataError(f"arrays of {array.dtype} cannot be network inputs; store numbers")


def _image(file: Path) -> Tensor:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with mlxtend's matplotlib
        raise DataError(f"reading {file.name} needs Pillow: pip install pillow") from None
    try:
        with Image.open(file) as image:
            grey = image.mode in ("1", "L", "I", "I;16", "F")
            pixels = np.asarray(image.convert("L" if grey else "RGB"))
    except FileNotFoundError:
        raise DataError(f"no such file: {file}") from None
    except OSError as exc:
        raise DataError(f"cannot read {file.name} as an image ({exc})") from None
    chw = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return normalise(np.ascontiguousarray(chw))
