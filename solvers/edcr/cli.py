"""``nesy edcr learn`` and ``nesy edcr apply``: EDCR rules from and onto files.

Registered with the ``nesy`` command through the ``nesy.commands`` entry point, so the core CLI
never imports this backend.

Files: predictions and labels are ``.npy`` integer arrays or UTF-8 text files with one class
index per line, in ASCII digits (a first line that starts with a letter, ``_`` or ``#`` is a
header); conditions are ``.csv`` or ``.npz`` (see :mod:`solvers.edcr.conditions`); rules are the
JSON files of :mod:`solvers.edcr.rules`. Anything else in a labels file is an error that points at
its line and column: ``1_0``, ``+1``, ``1.0`` or ``١`` (all of which Python's ``int()`` would
take), a negative index, or a class index the classes do not reach.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nesy.errors import DataError
from nesy.lang.ir import Span
from nesy.options import at_least, finite_float, integer
from nesy.outputs import writable_file
from nesy.train.checkpoint import atomic_write_bytes
from solvers.edcr.arrays import check_text_file, load_npy
from solvers.edcr.conditions import read_conditions
from solvers.edcr.metrics import accuracy, detection_scores, macro_f1
from solvers.edcr.rules import (
    ABSTAIN,
    CORRECTORS,
    DETECTORS,
    ORDERS,
    Applied,
    learn_rules,
    read_rules,
    write_rules,
)

__all__ = ["register", "read_labels"]


_INDEX = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-[0-9]+")
_HEADER = re.compile(r"[^\W\d]|[_#]")  # a letter (any script), '_' or '#'
_BLANKS = " \t\f\v"  # ASCII only: a non-breaking space is not a separator
_INT64 = 2**63 - 1
_MAX_INFERRED_CLASSES = 1_000_000


class _Labels(NamedTuple):
    """Class indices read from ``path``; ``where[i]`` is value ``i``'s (line, column) in a text
    file, and ``None`` for ``.npy``."""

    path: Path
    values: np.ndarray
    where: list[tuple[int, int]] | None

    def error(self, i: int, message: str) -> DataError:
        """An error about value ``i``, at its line and column when there are lines."""
        if self.where is None:
            return DataError(f"{self.path}: sample {i}: {message}")
        line, column = self.where[i]
        width = len(str(self.values[i]))
        return DataError(message, Span(str(self.path), line, column, line, column + width))


def read_labels(path: str | Path) -> np.ndarray:
    """Class indices ``(n,)`` from a ``.npy`` file or a text file of one index per line.

    Raises
    ------
    DataError
        A line that is not a class index in ASCII digits (with its line and column), a negative
        or out-of-int64 index, a file that is not UTF-8 text, or a ``.npy`` array that is not
        one-dimensional integers.
    """
    return _read_labels(Path(path)).values


def _read_labels(path: Path) -> _Labels:
    if path.suffix == ".npy":
        return _Labels(path, _read_npy(path), None)
    check_text_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason})") from error
    values, where = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        token = line.strip(_BLANKS)
        if not token or (number == 1 and _HEADER.match(token)):
            continue  # blank line, or a header
        column = len(line) - len(line.lstrip(_BLANKS)) + 1
        span = Span(str(path), number, column, number, column + len(token))
        if _NEGATIVE.fullmatch(token):
            raise DataError(f"a class index is 0 or more; got {token}", span)
        if not _INDEX.fullmatch(token):
            message = f"expected one integer class index per line; got '{token}'"
            raise DataError(message + " (ASCII digits 0-9 only)", span)
        digits = token.lstrip("0")
        if len(digits) > len(str(_INT64)) or int(digits or "0") > _INT64:
            raise DataError(f"class index {token} exceeds {_INT64} (2^63-1)", span)
        values.append(int(token))
        where.append((number, column))
    return _Labels(path, np.array(values, dtype=np.int64), where)


def _read_npy(path: Path) -> np.ndarray:
    values = load_npy(path, "a .npy array of class indices")
    if not isinstance(values, np.ndarray) or values.ndim != 1:
        raise DataError(f"{path}: expected a 1-D integer array; got {_describe(values)}")
    if not np.issubdtype(values.dtype, np.integer):
        raise DataError(f"{path}: expected a 1-D integer array; got {_describe(values)}")
    if len(values) and values.min() < 0:
        i = int(np.argmax(values < 0))
        raise DataError(f"{path}: sample {i}: a class index is 0 or more; got {values[i]}")
    if len(values) and values.max() > _INT64:  # uint64 would wrap round to a negative int64
        i = int(np.argmax(values > _INT64))
        raise DataError(f"{path}: sample {i}: class index {values[i]} exceeds {_INT64} (2^63-1)")
    return values.astype(np.int64)


def _describe(values: object) -> str:
    if isinstance(values, np.ndarray):
        return f"{values.dtype} {values.shape}"
    return type(values).__name__  # an .npz passed as .npy loads as a mapping


def _classes(option: str | None, *files: _Labels) -> list[str]:
    """The class names: ``--classes``, else ``0..`` the largest index in ``files``.

    Raises
    ------
    DataError
        An index in ``files`` that the named classes do not reach (at its line and column), or,
        without names, one so large that its classes could not be listed.
    """
    if option:
        names = [name.strip() for name in option.split(",")]
        for labels in files:
            _check_range(labels, len(names), f"--classes names {len(names)} classes")
        return names
    top = max(((int(f.values.max()), f) for f in files if len(f.values)), default=(-1, None))
    if top[1] is not None and top[0] >= _MAX_INFERRED_CLASSES:
        i = int(np.argmax(top[1].values))
        raise top[1].error(
            i,
            f"class index {top[0]}: without --classes the classes are 0..the largest index, "
            f"at most {_MAX_INFERRED_CLASSES} of them",
        )
    return [str(k) for k in range(top[0] + 1)]


def _check_range(labels: _Labels, k: int, source: str) -> None:
    """Every index in ``labels`` names one of ``k`` classes."""
    if len(labels.values) and labels.values.max() >= k:
        i = int(np.argmax(labels.values >= k))
        value = labels.values[i]
        raise labels.error(i, f"class index {value} is out of range: {source}, 0..{k - 1}")


def _same_length(**arrays: Any) -> None:
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise DataError(f"the files disagree on the number of samples: {listed}")


def _scores(predictions: np.ndarray, labels: np.ndarray, applied: Applied, k: int) -> dict:
    """Figures for rules already applied to ``predictions``, against the true ``labels``."""
    kept = applied.labels != ABSTAIN
    return {
        "samples": int(len(labels)),
        "accuracy_before": accuracy(predictions, labels),
        "accuracy_after": accuracy(applied.labels, labels),  # a withdrawn label counts as wrong
        "accuracy_on_kept": accuracy(applied.labels[kept], labels[kept]),
        "macro_f1_before": macro_f1(predictions, labels, k),
        "macro_f1_after": macro_f1(applied.labels, labels, k),
        "withdrawn": int((~kept).sum()),
        "relabelled": int((applied.corrected & (applied.labels != predictions)).sum()),
        "detection": detection_scores(applied.flagged, predictions != labels)._asdict(),
    }


def _print_scores(scores: dict) -> None:
    d = scores["detection"]
    print(
        f"accuracy {scores['accuracy_before']:.4f} -> {scores['accuracy_after']:.4f} "
        f"({scores['withdrawn']} withdrawn, counted wrong; {scores['accuracy_on_kept']:.4f} on "
        f"the {scores['samples'] - scores['withdrawn']} kept), macro-F1 "
        f"{scores['macro_f1_before']:.4f} -> {scores['macro_f1_after']:.4f}, "
        f"{scores['relabelled']} relabelled"
    )
    print(
        f"error detection: precision {d['precision']:.4f}, recall {d['recall']:.4f}, "
        f"F1 {d['f1']:.4f}"
    )


def _learn(args: argparse.Namespace) -> int:
    writable_file(args.out, "--out")
    if args.program:
        writable_file(args.program, "--program")
    predicted, truth = _read_labels(args.predictions), _read_labels(args.labels)
    predictions, labels = predicted.values, truth.values
    conditions = read_conditions(args.conditions)
    _same_length(predictions=predictions, labels=labels, conditions=conditions)
    rules = learn_rules(
        predictions,
        labels,
        conditions,
        _classes(args.classes, predicted, truth),
        detector=args.detector,
        epsilon=args.epsilon,
        corrector=args.corrector,
        order=args.order,
    )
    write_rules(args.out, rules)
    if args.program:
        # JSON quoting keeps a path's line breaks (and undecodable bytes) out of the comment
        source = json.dumps(str(args.predictions))
        text = f"% EDCR rules learned by `nesy edcr learn` from {source}\n"
        text += rules.to_text() + "\n"
        atomic_write_bytes(args.program, lambda f: f.write(text.encode()))
    print(rules.to_text() or "% no rule was worth learning")
    print(f"% wrote {args.out}; on the rule-learning data ({len(labels)} samples):")
    applied = rules.apply(predictions, conditions)
    _print_scores(_scores(predictions, labels, applied, len(rules.classes)))
    return 0


def _apply(args: argparse.Namespace) -> int:
    if args.out:
        writable_file(args.out, "--out")
    rules = read_rules(args.rules)
    predicted = _read_labels(args.predictions)
    predictions = predicted.values
    _check_range(predicted, len(rules.classes), f"{args.rules} has {len(rules.classes)} classes")
    conditions = read_conditions(args.conditions)
    _same_length(predictions=predictions, conditions=conditions)
    missing = [name for name in rules.conditions_used() if name not in conditions.names]
    if missing:
        raise DataError(f"{args.conditions}: lacks the rules' conditions {', '.join(missing)}")
    applied = rules.apply(predictions, conditions)
    if args.out:
        text = "".join(f"{label}\n" for label in applied.labels.tolist())
        atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    scores = None
    if args.labels:
        truth = _read_labels(args.labels)
        _check_range(truth, len(rules.classes), f"{args.rules} has {len(rules.classes)} classes")
        labels = truth.values
        _same_length(predictions=predictions, labels=labels)
        scores = _scores(predictions, labels, applied, len(rules.classes))
    if args.json:
        print(json.dumps({"labels": applied.labels.tolist(), "scores": scores}))
        return 0
    print(
        f"{len(predictions)} samples: {int(applied.flagged.sum())} flagged as errors, "
        f"{int(applied.corrected.sum())} matched by a correction rule"
        + (f"; wrote {args.out}" if args.out else "")
    )
    if scores:
        _print_scores(scores)
    return 0


def _fashion(args: argparse.Namespace) -> int:
    """``nesy edcr fashion OUT``: the Fashion-MNIST task's data for ``learn`` and ``apply``."""
    from tasks.fashion_edcr.prepare import prepare  # torch only when asked for

    prepare(args.out, args.data, args.epochs, args.seed, args.rule_images, args.train_images)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``edcr learn`` and ``edcr apply`` to the ``nesy`` command."""
    edcr = commands.add_parser("edcr", help="learn and apply error detection and correction rules")
    verbs = edcr.add_subparsers(dest="edcr_command", required=True)

    learn = verbs.add_parser("learn", help="learn rules from predictions, conditions and labels")
    learn.add_argument("--predictions", type=Path, required=True, help=".npy or one int per line")
    learn.add_argument("--labels", type=Path, required=True, help="true classes, same format")
    learn.add_argument("--conditions", type=Path, required=True, help=".csv or .npz")
    learn.add_argument("--classes", default=None, help="comma-separated class names")
    learn.add_argument("--detector", choices=DETECTORS, default="det", help="default: det")
    learn.add_argument(
        "--epsilon", type=finite_float, default=0.1, help="largest recall drop (det)"
    )
    learn.add_argument(
        "--corrector", choices=CORRECTORS, default="guarded", help="default: guarded"
    )
    learn.add_argument("--order", choices=ORDERS, default=ORDERS[0], help=f"default: {ORDERS[0]}")
    learn.add_argument("--out", type=Path, required=True, help="rule file to write (JSON)")
    learn.add_argument("--program", type=Path, default=None, help="also write a program")
    learn.set_defaults(run=_learn)

    apply = verbs.add_parser("apply", help="apply a rule file to new predictions and conditions")
    apply.add_argument("rules", type=Path)
    apply.add_argument("--predictions", type=Path, required=True)
    apply.add_argument("--conditions", type=Path, required=True)
    apply.add_argument("--labels", type=Path, default=None, help="score against true classes")
    apply.add_argument("--out", type=Path, default=None, help="write new labels (-1: withdrawn)")
    apply.add_argument("--json", action="store_true", help="print labels and scores as JSON")
    apply.set_defaults(run=_apply)

    data = verbs.add_parser(
        "fashion", help="train Fashion-MNIST models; write predictions, labels and conditions"
    )
    data.add_argument("out", type=Path, help="folder to write into")
    data.add_argument("--epochs", type=integer, default=3)
    data.add_argument("--seed", type=at_least(0), default=0)
    data.add_argument(
        "--rule-images", type=integer, default=10_000, help="last training images kept for rules"
    )
    data.add_argument(
        "--train-images", type=integer, default=60_000, help="at most this many train the models"
    )
    data.add_argument("--data", type=Path, default=None, help="Fashion-MNIST IDX folder")
    data.set_defaults(run=_fashion)
