"""Learned EDCR rules: learning them for every class, applying them, and writing them out.

A :class:`RuleSet` holds, per class ``i``, one detection rule
``error(X) <- pred(X, i) and (c1(X) or c2(X) ...)`` and one correction rule
``corrected(X, i) <- (c(X) and pred(X, j)) or ...``. Bodies read the model's own prediction.
Applying them to new predictions (:meth:`RuleSet.apply`): a detection rule that fires withdraws
the prediction (the label becomes ``ABSTAIN``, -1, as in PyEDCR); a correction rule that fires
sets the label to its class, later classes overwriting earlier ones. Where both fire on a sample,
``order`` decides: ``"detect-correct"`` applies detection first, so the correction wins;
``"correct-detect"`` applies correction first, so the detection wins.

Rules refer to conditions by name, so a rule file can be applied to any conditions file that has
those columns, in any order. Names are written into programs as :mod:`solvers.edcr.terms` says;
a name no program can hold is refused when the rule set is made.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nesy.errors import ConfigError, DataError, NesyError
from nesy.lang.ir import Span
from nesy.train.checkpoint import atomic_write_bytes
from solvers.edcr.arrays import check_text_file
from solvers.edcr.conditions import Conditions
from solvers.edcr.learn import corr_rule_learn, det_rule_learn, ratio_det_rule_learn
from solvers.edcr.terms import string, term, unwritable

__all__ = [
    "ABSTAIN",
    "DETECTORS",
    "CORRECTORS",
    "ORDERS",
    "DetectionRule",
    "CorrectionRule",
    "RuleSet",
    "Applied",
    "learn_rules",
    "read_rules",
    "write_rules",
]

ABSTAIN = -1
DETECTORS = ("det", "ratio", "none")
CORRECTORS = ("guarded", "published", "none")
ORDERS = ("detect-correct", "correct-detect")
_FORMAT = "nesy-edcr-rules"


@dataclass(frozen=True)
class DetectionRule:
    """``error(X) <- pred(X, label) and OR(conditions)``."""

    label: int
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class CorrectionRule:
    """``corrected(X, label) <- OR over (c, j) in pairs of (c(X) and pred(X, j))``."""

    label: int
    pairs: tuple[tuple[str, int], ...]


class Applied(NamedTuple):
    """What applying rules gives.

    Shape:
        labels: ``(n,)`` ints, ``ABSTAIN`` where withdrawn; flagged, corrected: ``(n,)`` bool, where
        a detection / correction rule fired.
    """

    labels: np.ndarray
    flagged: np.ndarray
    corrected: np.ndarray


@dataclass(frozen=True)
class RuleSet:
    """Detection and correction rules over named classes and conditions.

    Examples
    --------
    >>> rules = RuleSet(("a", "b"), (DetectionRule(0, ("sec=b",)),), (), "detect-correct")
    >>> print(rules.to_text())
    #defined pred/2.
    #defined holds/2.
    error(X) :- pred(X, a), holds(X, "sec=b").
    """

    classes: tuple[str, ...]
    detection: tuple[DetectionRule, ...] = ()
    correction: tuple[CorrectionRule, ...] = ()
    order: str = "detect-correct"
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ConfigError(f"unknown order '{self.order}'; expected one of {', '.join(ORDERS)}")
        _check_names("class", self.classes)
        twice = [name for name in set(self.classes) if self.classes.count(name) > 1]
        if twice:
            raise ConfigError(f"the class name {twice[0]!r} is used twice")
        k = len(self.classes)
        labels = [r.label for r in self.detection] + [r.label for r in self.correction]
        labels += [j for r in self.correction for _, j in r.pairs]  # pred(X, j) in a body
        for label in labels:
            if isinstance(label, bool) or not isinstance(label, int | np.integer):
                raise ConfigError(f"a rule's class must be an int index; got {label!r}")
            if not 0 <= label < k:
                raise ConfigError(f"rule for class {label}; classes are 0..{k - 1}")
        _check_names("condition", self.conditions_used())

    def conditions_used(self) -> tuple[str, ...]:
        names = [c for r in self.detection for c in r.conditions]
        names += [c for r in self.correction for c, _ in r.pairs]
        return tuple(dict.fromkeys(names))

    def apply(self, predictions: np.ndarray, conditions: Conditions) -> Applied:
        """Apply the rules to a model's predictions (see the module docstring).

        Shape:
            predictions: ``(n,)`` ints; conditions: ``(n, m)`` -> ``Applied`` of ``(n,)`` arrays.

        Raises
        ------
        DataError
            Predictions that are not class indices ``0..K-1`` of these rules (no rule would
            match a class the rules do not know, and it would pass through unseen), or a
            number of predictions other than of condition rows.
        """
        predictions = _indices(predictions, "predictions", len(self.classes), DataError)
        if len(predictions) != len(conditions):
            raise DataError(
                f"{len(predictions)} predictions but {len(conditions)} rows of conditions"
            )
        flagged = np.zeros(len(predictions), dtype=bool)
        for detection in self.detection:
            flagged |= (predictions == detection.label) & _any(conditions, detection.conditions)
        target = np.full(len(predictions), ABSTAIN)
        for correction in self.correction:
            fires = np.zeros(len(predictions), dtype=bool)
            for name, j in correction.pairs:
                fires |= conditions.column(name) & (predictions == j)
            target[fires] = correction.label
        corrected = target != ABSTAIN
        labels = predictions.copy()
        if self.order == "detect-correct":
            labels[flagged] = ABSTAIN
            labels[corrected] = target[corrected]
        else:
            labels[corrected] = target[corrected]
            labels[flagged] = ABSTAIN
        return Applied(labels, flagged, corrected)

    def to_text(self) -> str:
        """The rules as a logic program over facts ``pred(X, Class)`` and ``holds(X, "cond")``.

        The text is a valid nesy (and clingo) program: add those facts for each sample and the
        atoms ``error(X)`` and ``corrected(X, Class)`` are exactly where :meth:`apply`'s rules fire.
        It declares ``#defined pred/2.`` and ``#defined holds/2.``, so that it parses on its own,
        before any facts. Classes are written with :func:`~solvers.edcr.terms.term`, conditions
        with :func:`~solvers.edcr.terms.string`; write the facts the same way. No rules: ``""``.
        """
        if not self.detection and not self.correction:
            return ""
        lines = ["#defined pred/2.", "#defined holds/2."]
        for detection in self.detection:
            head = f"error(X) :- pred(X, {term(self.classes[detection.label])})"
            lines += [f"{head}, holds(X, {string(c)})." for c in detection.conditions]
        for correction in self.correction:
            head = f"corrected(X, {term(self.classes[correction.label])})"
            lines += [
                f"{head} :- pred(X, {term(self.classes[j])}), holds(X, {string(c)})."
                for c, j in correction.pairs
            ]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "version": 1,
            "classes": list(self.classes),
            "order": self.order,
            "detection": [
                {"class": r.label, "conditions": list(r.conditions)} for r in self.detection
            ],
            "correction": [
                {"class": r.label, "pairs": [[c, j] for c, j in r.pairs]} for r in self.correction
            ],
            "meta": self.meta,
        }


def _any(conditions: Conditions, names: Sequence[str]) -> np.ndarray:
    """``(n,)`` bool: whether any of the named conditions holds, sample by sample."""
    hits = np.zeros(len(conditions), dtype=bool)
    if names:
        conditions.select(names).values.any(axis=1, out=hits)
    return hits


def _indices(values: np.ndarray, name: str, k: int, error: type[NesyError]) -> np.ndarray:
    """``values`` as a 1-D integer array in ``0..k-1``: a float ``1.5`` or a bool would
    otherwise compare unequal (or equal) to every class without a word."""
    values = np.asarray(values)
    if values.ndim == 1 and not values.size:
        return values.astype(np.int64)  # [] reads as floats
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
        raise error(f"{name} must be a 1-D array of integer class indices; got {values.dtype}")
    if len(values) and (values.min() < 0 or values.max() >= k):
        raise error(f"{name} must lie in 0..{k - 1} for {k} classes")
    return values


def _check_names(kind: str, names: Sequence[object]) -> None:
    for name in names:
        if not isinstance(name, str):
            raise DataError(f"a {kind} name must be a string; got {name!r}")
        what = unwritable(name)
        if what is not None:
            raise DataError(f"the {kind} name {name!r} holds {what}, which no program can hold")


def learn_rules(
    predictions: np.ndarray,
    labels: np.ndarray,
    conditions: Conditions,
    classes: Sequence[str],
    *,
    detector: str = "det",
    epsilon: float = 0.1,
    corrector: str = "guarded",
    order: str = "detect-correct",
) -> RuleSet:
    """Learn one detection and one correction rule per class.

    Parameters
    ----------
    predictions, labels
        ``(n,)`` class indices in ``0..K-1`` on the rule-learning data (labels are the truth).
    conditions
        The conditions on the same samples.
    classes
        ``K`` class names, used when the rules are printed or written out.
    detector
        ``"det"`` (DetRuleLearn, recall drop at most ``epsilon``), ``"ratio"``
        (RatioDetRuleLearn, best error-detection F1) or ``"none"``.
    corrector
        ``"published"`` (CorrRuleLearn as published: never lowers class ``i``'s precision),
        ``"guarded"`` (also refuses relabellings that lose accuracy on the learning data; see
        :func:`~solvers.edcr.learn.corr_rule_learn`) or ``"none"``.
    order
        How :meth:`RuleSet.apply` resolves samples where both kinds of rule fire.

    Raises
    ------
    ConfigError
        An unknown ``detector``, ``corrector`` or ``order``, or predictions or labels that are
        not integers in ``0..K-1``.
    """
    if detector not in DETECTORS:
        raise ConfigError(f"unknown detector '{detector}'; expected one of {', '.join(DETECTORS)}")
    if corrector not in CORRECTORS:
        raise ConfigError(
            f"unknown corrector '{corrector}'; expected one of {', '.join(CORRECTORS)}"
        )
    k = len(classes)
    predictions = _indices(predictions, "predictions", k, ConfigError)
    labels = _indices(labels, "labels", k, ConfigError)
    values = conditions.values
    detection, correction = [], []
    for i in range(k):
        if detector == "det":
            body = det_rule_learn(predictions, labels, values, i, epsilon)
        elif detector == "ratio":
            body = ratio_det_rule_learn(predictions, labels, values, i)
        else:
            body = ()
        if body:
            detection.append(DetectionRule(i, tuple(conditions.names[c] for c in body)))
        if corrector != "none":
            pairs = corr_rule_learn(predictions, labels, values, i, k, corrector == "guarded")
            if pairs:
                named = tuple((conditions.names[c], j) for c, j in pairs)
                correction.append(CorrectionRule(i, named))
    meta = {
        "detector": detector,
        "epsilon": epsilon,
        "corrector": corrector,
        "samples": int(len(predictions)),
    }
    return RuleSet(tuple(classes), tuple(detection), tuple(correction), order, meta)


def write_rules(path: str | os.PathLike[str], rules: RuleSet) -> Path:
    """Write a rule file (JSON), atomically."""
    text = json.dumps(rules.to_json(), indent=2) + "\n"
    return atomic_write_bytes(path, lambda f: f.write(text.encode("utf-8")))


def read_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Read a rule file written by :func:`write_rules`.

    Raises
    ------
    DataError
        Not JSON, not a nesy EDCR rule file, missing fields, a class index that is not a JSON
        integer (``1.0``, ``"1"`` and ``true`` are refused, not converted) or out of range, or a
        name that is not a string; the message names the file and the field.
    """
    path = Path(path)
    check_text_file(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason})") from error
    except json.JSONDecodeError as error:
        span = Span(str(path), error.lineno, error.colno, error.lineno, error.colno + 1)
        raise DataError(f"not JSON ({error.msg})", span, source_text=text) from error
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise DataError(f'{path}: not an EDCR rule file (expected "format": "{_FORMAT}")')
    try:
        return RuleSet(
            _strings(data["classes"], "classes"),
            tuple(
                DetectionRule(
                    _index(r["class"], f"detection[{i}].class"),
                    _strings(r["conditions"], f"detection[{i}].conditions"),
                )
                for i, r in enumerate(_list(data["detection"], "detection"))
            ),
            tuple(
                CorrectionRule(
                    _index(r["class"], f"correction[{i}].class"),
                    tuple(
                        (
                            _string(c, f"correction[{i}].pairs[{n}][0]"),
                            _index(j, f"correction[{i}].pairs[{n}][1]"),
                        )
                        for n, (c, j) in enumerate(_list(r["pairs"], f"correction[{i}].pairs"))
                    ),
                )
                for i, r in enumerate(_list(data["correction"], "correction"))
            ),
            data["order"],
            data.get("meta", {}),
        )
    except NesyError as error:
        raise DataError(f"{path}: {error.message}") from error
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"{path}: malformed EDCR rule file ({error!r})") from error


def _list(value: object, where: str) -> list:
    if not isinstance(value, list):
        raise DataError(f"{where} must be a list; got {value!r}")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise DataError(f"{where} must be a string; got {value!r}")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    return tuple(_string(x, f"{where}[{n}]") for n, x in enumerate(_list(value, where)))


def _index(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"{where} must be an integer class index; got {value!r}")
    return value
