"""``nesy edcr learn`` and ``nesy edcr apply``: EDCR rules from and onto files.

Registered with the ``nesy`` command through the ``nesy.commands`` entry point, so the core CLI
never imports this backend.

Files: predictions and labels are ``.npy`` arrays or text files with one integer per line (a
first line that is not an integer is taken as a header); conditions are ``.csv`` or ``.npz`` (see
:mod:`solvers.edcr.conditions`); rules are the JSON files of :mod:`solvers.edcr.rules`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from nesy.errors import ConfigError, DataError
from nesy.lang.ir import Span
from nesy.train.checkpoint import atomic_write_bytes
from solvers.edcr.conditions import read_conditions, write_conditions
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


def read_labels(path: str | Path) -> np.ndarray:
    """Class indices ``(n,)`` from a ``.npy`` file or a text file of one integer per line.

    Raises
    ------
    DataError
        A line that is not an integer (with its line and column), or a ``.npy`` array that is not
        one-dimensional integers.
    """
    path = Path(path)
    if path.suffix == ".npy":
        values = np.load(path, allow_pickle=False)
        if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
            raise DataError(
                f"{path}: expected a 1-D integer array; got {values.dtype} {values.shape}"
            )
        return values.astype(np.int64)
    lines = path.read_text(encoding="utf-8").splitlines()
    values = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or (number == 1 and not text.lstrip("-").isdigit()):
            continue  # blank line, or a header
        try:
            values.append(int(text))
        except ValueError:
            column = len(line) - len(line.lstrip()) + 1
            raise DataError(
                f"expected one integer class index per line; got '{text}'",
                Span(str(path), number, column, number, column),
            ) from None
    return np.array(values, dtype=np.int64)


def _classes(option: str | None, *arrays: np.ndarray) -> list[str]:
    if option:
        return [name.strip() for name in option.split(",")]
    return [str(k) for k in range(max(int(a.max()) for a in arrays if len(a)) + 1)]


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
    predictions, labels = read_labels(args.predictions), read_labels(args.labels)
    conditions = read_conditions(args.conditions)
    _same_length(predictions=predictions, labels=labels, conditions=conditions)
    rules = learn_rules(
        predictions,
        labels,
        conditions,
        _classes(args.classes, predictions, labels),
        detector=args.detector,
        epsilon=args.epsilon,
        corrector=args.corrector,
        order=args.order,
    )
    write_rules(args.out, rules)
    if args.program:
        text = f"% EDCR rules learned by `nesy edcr learn` from {args.predictions}\n"
        text += rules.to_text() + "\n"
        atomic_write_bytes(args.program, lambda f: f.write(text.encode()))
    print(rules.to_text() or "% no rule was worth learning")
    print(f"% wrote {args.out}; on the rule-learning data ({len(labels)} samples):")
    applied = rules.apply(predictions, conditions)
    _print_scores(_scores(predictions, labels, applied, len(rules.classes)))
    return 0


def _apply(args: argparse.Namespace) -> int:
    rules = read_rules(args.rules)
    predictions = read_labels(args.predictions)
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
        labels = read_labels(args.labels)
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
    from nesy.neural.datasets import Digits  # torch only when asked for
    from solvers.edcr import fashion

    train = fashion.load_fashion("train", args.data)
    test = fashion.load_fashion("t10k", args.data)
    split = len(train.labels) - args.rule_images
    if not 0 < split < len(train.labels):
        raise ConfigError(
            f"--rule-images must lie in 1..{len(train.labels) - 1}; got {args.rule_images}"
        )
    parts = {
        "learn": (train.images[split:], train.labels[split:]),
        "test": (test.images, test.labels),
    }
    models = fashion.train_models(
        Digits(
            train.images[: min(split, args.train_images)],
            train.labels[: min(split, args.train_images)],
        ),
        epochs=args.epochs,
        seed=args.seed,
        progress=True,
    )
    for name, (images, labels) in parts.items():
        outputs = fashion.predict(models, images)
        for suffix, values in (("pred", outputs.main_fine), ("labels", labels.numpy())):
            target = args.out / f"{name}_{suffix}.npy"
            atomic_write_bytes(target, lambda f, v=values: np.save(f, v))
        write_conditions(args.out / f"{name}_conditions.npz", fashion.conditions(outputs))
        accuracy_text = f"{accuracy(outputs.main_fine, labels.numpy()):.4f}"
        print(f"{name}: {len(labels)} samples, main model fine accuracy {accuracy_text}")
    print(f"wrote {args.out}/{{learn,test}}_{{pred,labels}}.npy and *_conditions.npz")
    print(f"classes: {','.join(fashion.FINE)}")
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
    learn.add_argument("--epsilon", type=float, default=0.1, help="largest recall drop (det)")
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
    data.add_argument("--epochs", type=int, default=3)
    data.add_argument("--seed", type=int, default=0)
    data.add_argument(
        "--rule-images", type=int, default=10_000, help="last training images kept for rules"
    )
    data.add_argument(
        "--train-images", type=int, default=60_000, help="at most this many train the models"
    )
    data.add_argument("--data", type=Path, default=None, help="Fashion-MNIST IDX folder")
    data.set_defaults(run=_fashion)
