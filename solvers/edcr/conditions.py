"""Conditions: Boolean columns, computed at test time, that rule bodies are made of.

A condition is a named Boolean function of a sample: another model's prediction, the main model's
prediction at the other granularity, a threshold on a binary model's score. EDCR only ever sees
their values, so a :class:`Conditions` is a ``(n, m)`` Boolean matrix with one name per column.

Shape letters: ``n`` samples, ``m`` conditions, ``K`` classes.

Files (for the CLI):

- ``.csv``: a header row of condition names, then one row of ``0``/``1`` per sample;
- ``.npz``: arrays ``values`` ``(n, m)`` (0/1 or bool) and ``names`` ``(m,)`` (strings).

A name that no rule program could hold (a NUL, a carriage return or a lone surrogate; see
:mod:`solvers.edcr.terms`) is refused when the file is read.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nesy.errors import DataError
from nesy.lang.ir import Span
from nesy.train.checkpoint import atomic_write_bytes
from solvers.edcr.arrays import MAX_ARRAY_BYTES, check_text_file, load_npz
from solvers.edcr.terms import unwritable

__all__ = [
    "Conditions",
    "prediction_conditions",
    "threshold_conditions",
    "read_conditions",
    "write_conditions",
]


@dataclass(frozen=True)
class Conditions:
    """Named Boolean columns over samples.

    Shape:
        values: ``(n, m)`` bool; names: ``m`` distinct strings.

    Examples
    --------
    >>> import numpy as np
    >>> c = Conditions(("a", "b"), np.array([[1, 0], [1, 1]], dtype=bool))
    >>> c.column("b").tolist()
    [False, True]
    >>> c.select(["b"]).names
    ('b',)
    """

    names: tuple[str, ...]
    values: np.ndarray

    def __post_init__(self) -> None:
        values = np.asarray(self.values)
        if values.ndim != 2 or values.shape[1] != len(self.names):
            raise DataError(
                f"conditions: expected values of shape (n, {len(self.names)}) for "
                f"{len(self.names)} names; got {values.shape}"
            )
        for name in self.names:
            if not isinstance(name, str):
                raise DataError(f"conditions: a name must be a string; got {name!r}")
        names = tuple(str(n) for n in self.names)  # numpy's str_ to str
        twice = [name for name, count in Counter(names).items() if count > 1]
        if twice:
            raise DataError(f"conditions: the name '{twice[0]}' is used twice")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "values", values.astype(bool, copy=False))

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise DataError(f"conditions: no column named '{name}'") from None

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.index(name)]

    def select(self, names: Sequence[str]) -> Conditions:
        """The named columns, in the given order."""
        return Conditions(tuple(names), self.values[:, [self.index(n) for n in names]])

    def concat(self, *others: Conditions) -> Conditions:
        """These columns followed by the others' (same samples)."""
        for other in others:
            if len(other) != len(self):
                raise DataError(f"conditions: {len(other)} samples joined to {len(self)}")
        names = self.names + tuple(n for o in others for n in o.names)
        return Conditions(names, np.concatenate([self.values, *(o.values for o in others)], 1))


def prediction_conditions(
    predictions: np.ndarray, class_names: Sequence[str], prefix: str
) -> Conditions:
    """One column per class ``k``: "the model predicts ``k``", named ``{prefix}{class_names[k]}``.

    Shape:
        predictions: ``(n,)`` ints in ``0..K-1`` -> ``(n, K)``.

    Examples
    --------
    >>> import numpy as np
    >>> prediction_conditions(np.array([1, 0]), ["a", "b"], "sec_").values.tolist()
    [[False, True], [True, False]]
    """
    predictions = np.asarray(predictions)
    classes = np.arange(len(class_names))
    names = tuple(f"{prefix}{name}" for name in class_names)
    return Conditions(names, predictions[:, None] == classes[None, :])


def threshold_conditions(
    scores: np.ndarray,
    class_names: Sequence[str],
    prefix: str,
    above: Sequence[float] = (0.95, 0.98),
    below: Sequence[float] = (0.05, 0.02),
) -> Conditions:
    """Thresholds on per-class binary models' scores (the trajectory EDCR conditions).

    For each class ``k`` and threshold ``t``: ``score_k > t`` for ``t`` in ``above`` and
    ``score_k < t`` for ``t`` in ``below``, named like ``{prefix}{class}>0.95``.

    Shape:
        scores: ``(n, K)`` probabilities -> ``(n, K * (len(above) + len(below)))``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] != len(class_names):
        raise DataError(
            f"threshold conditions: expected scores of shape (n, {len(class_names)}); "
            f"got {scores.shape}"
        )
    names: list[str] = []
    columns: list[np.ndarray] = []
    for k, name in enumerate(class_names):
        for t in above:
            names.append(f"{prefix}{name}>{t:g}")
            columns.append(scores[:, k] > t)
        for t in below:
            names.append(f"{prefix}{name}<{t:g}")
            columns.append(scores[:, k] < t)
    return Conditions(tuple(names), np.stack(columns, 1) if columns else np.zeros((len(scores), 0)))


def read_conditions(path: str | os.PathLike[str], max_bytes: int = MAX_ARRAY_BYTES) -> Conditions:
    """Read conditions from a ``.csv`` or ``.npz`` file (see the module docstring).

    Raises
    ------
    DataError
        Unknown suffix, a folder, a file that is not UTF-8 CSV or an npz of plain arrays, a
        missing array, names that are not strings, a name no program can hold, a ragged row or
        a value other than 0/1, an array (or a CSV file) over ``max_bytes``; the message names
        the file and, for CSV, the line and column.
    """
    path = Path(path)
    if path.suffix == ".npz":
        return _read_npz(path, max_bytes)
    if path.suffix == ".csv":
        check_text_file(path, max_bytes)
        return _read_csv(path)
    raise DataError(f"{path}: unknown conditions format '{path.suffix}'; expected .csv or .npz")


def _read_npz(path: Path, max_bytes: int) -> Conditions:
    arrays = load_npz(path, ("values", "names"), "a conditions .npz file", max_bytes)
    values, names = arrays["values"], arrays["names"]
    if names.ndim != 1 or (names.dtype.kind != "U" and names.size):
        raise DataError(
            f"{path}: 'names' must be a 1-D array of strings; got {names.dtype} {names.shape}"
        )
    if values.dtype != bool and not np.isin(values, (0, 1)).all():
        raise DataError(f"{path}: 'values' must hold only 0 and 1")
    for i, name in enumerate(names.tolist()):
        what = unwritable(name)
        if what is not None:
            raise DataError(f"{path}: names[{i}] {name!r} holds {what}, which no program can hold")
    return _named(path, tuple(names.tolist()), values)


def _read_csv(path: Path) -> Conditions:
    rows: list[tuple[int, list[str]]] = []  # (line the row starts on, cells)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            start = 1
            for row in reader:
                rows.append((start, row))
                start = reader.line_num + 1  # a quoted cell may span lines
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason})") from error
    except csv.Error as error:
        raise DataError(f"{error}", Span(str(path), start, 1, start, 1)) from error
    if not rows:
        raise DataError(f"{path}: empty file; expected a header row of condition names")
    header = rows[0][1]
    names = tuple(name.strip() for name in header)
    for c, name in enumerate(names):
        what = unwritable(name)
        if what is not None:
            column = _column(header, c)
            raise DataError(
                f"the condition name {name!r} holds {what}, which no program can hold",
                Span(str(path), 1, column, 1, column),
            )
    values = np.zeros((len(rows) - 1, len(names)), dtype=bool)
    for r, (line, row) in enumerate(rows[1:]):
        if len(row) != len(names):
            raise DataError(
                f"expected {len(names)} values (one per header name); got {len(row)}",
                Span(str(path), line, 1, line, 1),
            )
        for c, cell in enumerate(row):
            if cell.strip() not in ("0", "1"):
                column = _column(row, c)
                raise DataError(
                    f"expected 0 or 1 for '{names[c]}'; got '{cell}'",
                    Span(str(path), line, column, line, column),
                )
            values[r, c] = cell.strip() == "1"
    return _named(path, names, values)


def _column(row: list[str], c: int) -> int:
    """Where cell ``c`` starts on its line, for unquoted cells."""
    return sum(len(x) + 1 for x in row[:c]) + 1


def _named(path: Path, names: tuple[str, ...], values: np.ndarray) -> Conditions:
    try:
        return Conditions(names, values)
    except DataError as error:
        raise DataError(f"{path}: {error.message}") from error


def write_conditions(path: str | os.PathLike[str], conditions: Conditions) -> None:
    """Write ``.csv`` or ``.npz`` (chosen by suffix), atomically; the inverse of
    :func:`read_conditions`."""
    path = Path(path)
    if path.suffix == ".npz":
        names = np.array(conditions.names, dtype=str)
        atomic_write_bytes(
            path, lambda f: np.savez_compressed(f, values=conditions.values, names=names)
        )
    elif path.suffix == ".csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(conditions.names)
        writer.writerows(conditions.values.astype(np.uint8).tolist())
        atomic_write_bytes(path, lambda f: f.write(text.getvalue().encode("utf-8")))
    else:
        raise DataError(f"{path}: unknown conditions format '{path.suffix}'; expected .csv or .npz")
