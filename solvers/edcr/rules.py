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
those columns, in any order.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nesy.errors import ConfigError, DataError
from nesy.train.checkpoint import atomic_write_bytes
from solvers.edcr.conditions import Conditions
from solvers.edcr.learn import corr_rule_learn, det_rule_learn, ratio_det_rule_learn

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
        for rule in (*self.detection, *self.correction):
            if not 0 <= rule.label < len(self.classes):
                raise ConfigError(
                    f"rule for class {rule.label}; classes are 0..{len(self.classes) - 1}"
                )

    def conditions_used(self) -> tuple[str, ...]:
        names = [c for r in self.detection for c in r.conditions]
        names += [c for r in self.correction for c, _ in r.pairs]
        return tuple(dict.fromkeys(names))

    def apply(self, predictions: np.ndarray, conditions: Conditions) -> Applied:
        """Apply the rules to a model's predictions (see the module docstring).

        Shape:
            predictions: ``(n,)`` ints; conditions: ``(n, m)`` -> ``Applied`` of ``(n,)`` arrays.
        """
        predictions = np.asarray(predictions)
        if len(predictions) != len(conditions):
            raise DataError(
                f"{len(predictions)} predictions but {len(conditions)} rows of conditions"
            )
        flagged = np.zeros(len(predictions), dtype=bool)
        for rule in self.detection:
            flagged |= (predictions == rule.label) & _any(conditions, rule.conditions)
        target = np.full(len(predictions), ABSTAIN)
        for rule in self.correction:
            fires = np.zeros(len(predictions), dtype=bool)
            for name, j in rule.pairs:
                fires |= conditions.column(name) & (predictions == j)
            target[fires] = rule.label
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
        """
        lines = []
        for rule in self.detection:
            head = f"error(X) :- pred(X, {_term(self.classes[rule.label])})"
            lines += [f'{head}, holds(X, "{_escape(c)}").' for c in rule.conditions]
        for rule in self.correction:
            head = f"corrected(X, {_term(self.classes[rule.label])})"
            lines += [
                f'{head} :- pred(X, {_term(self.classes[j])}), holds(X, "{_escape(c)}").'
                for c, j in rule.pairs
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
    if not names:
        return np.zeros(len(conditions), dtype=bool)
    return conditions.select(names).values.any(axis=1)


def _escape(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _term(name: str) -> str:
    """A class name as a logic term: kept when it is a constant or an integer, else quoted."""
    return name if re.fullmatch(r"[a-z][A-Za-z0-9_]*|-?[0-9]+", name) else f'"{_escape(name)}"'


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
        An unknown ``detector``, ``corrector`` or ``order``, or a label outside ``0..K-1``.
    """
    if detector not in DETECTORS:
        raise ConfigError(f"unknown detector '{detector}'; expected one of {', '.join(DETECTORS)}")
    if corrector not in CORRECTORS:
        raise ConfigError(
            f"unknown corrector '{corrector}'; expected one of {', '.join(CORRECTORS)}"
        )
    predictions, labels = np.asarray(predictions), np.asarray(labels)
    k = len(classes)
    for name, values in (("predictions", predictions), ("labels", labels)):
        if len(values) and (values.min() < 0 or values.max() >= k):
            raise ConfigError(f"{name} must lie in 0..{k - 1} for {k} classes")
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
        Not JSON, not a nesy EDCR rule file, or missing fields; the message names the file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(f"{path}:{error.lineno}:{error.colno}: not JSON ({error.msg})") from error
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise DataError(f'{path}: not an EDCR rule file (expected "format": "{_FORMAT}")')
    try:
        return RuleSet(
            tuple(str(c) for c in data["classes"]),
            tuple(
                DetectionRule(int(r["class"]), tuple(r["conditions"])) for r in data["detection"]
            ),
            tuple(
                CorrectionRule(int(r["class"]), tuple((str(c), int(j)) for c, j in r["pairs"]))
                for r in data["correction"]
            ),
            data["order"],
            data.get("meta", {}),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"{path}: malformed EDCR rule file ({error!r})") from error
