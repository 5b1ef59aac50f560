"""f-EDR: error detection over fine and coarse labels, and the constraints the rules recover.

One main model predicts a fine and a coarse label. A detection rule is learned for every class of
both granularities (:func:`learn_hierarchical`); a sample is flagged when any rule fires, and a
true error is a wrong fine *or* coarse label. A learned condition "the main model predicts coarse
``c``" in a rule for fine ``f`` (or "predicts fine ``f``" in a rule for coarse ``c``) recovers the
pair ``(f, c)``; it is a true constraint when ``c`` is not ``f``'s parent (B.8).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nesy.errors import DataError
from solvers.edcr.conditions import Conditions
from solvers.edcr.metrics import f1_of, ratio
from solvers.edcr.rules import RuleSet, learn_rules

__all__ = [
    "Levels",
    "HierarchicalRules",
    "learn_hierarchical",
    "errors",
    "ConstraintScores",
    "recovered_constraints",
    "constraint_scores",
]


class Levels(NamedTuple):
    """A pair of ``(n,)`` int arrays: the fine and the coarse label of each sample."""

    fine: np.ndarray
    coarse: np.ndarray


class HierarchicalRules(NamedTuple):
    fine: RuleSet
    coarse: RuleSet

    def flag(self, predictions: Levels, conditions: Conditions) -> np.ndarray:
        """``(n,)`` bool: where a detection rule of either granularity fires."""
        return (
            self.fine.apply(predictions.fine, conditions).flagged
            | self.coarse.apply(predictions.coarse, conditions).flagged
        )


def errors(predictions: Levels, labels: Levels) -> np.ndarray:
    """``(n,)`` bool: the fine or the coarse prediction is wrong."""
    return (predictions.fine != labels.fine) | (predictions.coarse != labels.coarse)


def learn_hierarchical(
    predictions: Levels,
    labels: Levels,
    conditions: Conditions,
    fine_classes: Sequence[str],
    coarse_classes: Sequence[str],
    *,
    detector: str = "ratio",
    epsilon: float = 0.1,
) -> HierarchicalRules:
    """Detection rules (no correction) for every fine and every coarse class.

    ``detector="ratio"`` (RatioDetRuleLearn) is f-EDR's default; ``"det"`` is DetRuleLearn with
    ``epsilon``.
    """
    learn = functools.partial(learn_rules, detector=detector, epsilon=epsilon, corrector="none")
    return HierarchicalRules(
        learn(predictions.fine, labels.fine, conditions, fine_classes),
        learn(predictions.coarse, labels.coarse, conditions, coarse_classes),
    )


def recovered_constraints(
    rules: HierarchicalRules,
    fine_prefix: str = "main_fine=",
    coarse_prefix: str = "main_coarse=",
) -> set[tuple[int, int]]:
    """The ``(fine, coarse)`` index pairs that the rules' other-granularity conditions name.

    Raises
    ------
    DataError
        A condition with one of the prefixes whose rest is not a class of that granularity.

    Examples
    --------
    >>> from solvers.edcr.rules import DetectionRule, RuleSet
    >>> fine = RuleSet(("f0", "f1"), (DetectionRule(1, ("main_coarse=c0", "sec_fine=f0")),))
    >>> coarse = RuleSet(("c0", "c1"), (DetectionRule(1, ("main_fine=f0",)),))
    >>> sorted(recovered_constraints(HierarchicalRules(fine, coarse)))
    [(0, 1), (1, 0)]
    """
    pairs = set()
    for rule in rules.fine.detection:
        for name in rule.conditions:
            if name.startswith(coarse_prefix):
                pairs.add((rule.label, _class_of(name, coarse_prefix, rules.coarse)))
    for rule in rules.coarse.detection:
        for name in rule.conditions:
            if name.startswith(fine_prefix):
                pairs.add((_class_of(name, fine_prefix, rules.fine), rule.label))
    return pairs


def _class_of(condition: str, prefix: str, rules: RuleSet) -> int:
    """The class a ``{prefix}{class}`` condition names."""
    try:
        return rules.classes.index(condition[len(prefix) :])
    except ValueError:
        raise DataError(
            f"condition '{condition}' names no class of {', '.join(rules.classes)}"
        ) from None


class ConstraintScores(NamedTuple):
    precision: float
    recall: float
    f1: float
    recovered: int
    inconsistent_seen: int


def constraint_scores(
    recovered: set[tuple[int, int]], parent: Sequence[int], predictions: Levels
) -> ConstraintScores:
    """Precision: recovered pairs that are inconsistent (``c != parent[f]``) over all recovered.
    Recall: those over the distinct inconsistent ``(fine, coarse)`` pairs among ``predictions``
    (the rule-learning data's)."""
    parents = np.asarray(parent)
    true = {(f, c) for f, c in recovered if parents[f] != c}
    bad = predictions.coarse != parents[predictions.fine]
    seen = set(zip(predictions.fine[bad].tolist(), predictions.coarse[bad].tolist(), strict=True))
    precision = ratio(len(true), len(recovered))
    recall = ratio(len(true & seen), len(seen))
    return ConstraintScores(precision, recall, f1_of(precision, recall), len(recovered), len(seen))
