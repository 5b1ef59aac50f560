"""f-EDR on a small hierarchy: flags over both levels and the constraints they recover."""

import numpy as np
import pytest

from nesy.errors import DataError
from solvers.edcr.conditions import prediction_conditions
from solvers.edcr.hierarchy import (
    HierarchicalRules,
    Levels,
    constraint_scores,
    errors,
    learn_hierarchical,
    recovered_constraints,
)
from solvers.edcr.metrics import detection_scores
from solvers.edcr.rules import DetectionRule, RuleSet

FINE, COARSE, PARENT = ("f0", "f1", "f2", "f3"), ("c0", "c1"), np.array([0, 0, 1, 1])


def _data(seed, n=2000):
    rng = np.random.default_rng(seed)
    fine = rng.integers(0, 4, n)
    coarse = PARENT[fine]
    # the fine head errs 20% of the time; the coarse head errs 10% of the time, independently,
    # so some predictions are inconsistent with the hierarchy
    fine_pred = np.where(rng.random(n) < 0.2, rng.integers(0, 4, n), fine)
    coarse_pred = np.where(rng.random(n) < 0.1, 1 - coarse, coarse)
    return Levels(fine, coarse), Levels(fine_pred, coarse_pred)


def _conditions(predictions):
    return prediction_conditions(predictions.fine, FINE, "main_fine=").concat(
        prediction_conditions(predictions.coarse, COARSE, "main_coarse=")
    )


def test_rules_flag_inconsistent_predictions_and_recover_true_constraints():
    labels, predictions = _data(0)
    conditions = _conditions(predictions)
    rules = learn_hierarchical(predictions, labels, conditions, FINE, COARSE)
    recovered = recovered_constraints(rules)
    scores = constraint_scores(recovered, PARENT, predictions)
    # every inconsistent pair is an error of one of the two heads, so the rules learn them all,
    # and a consistent pair is never worth a rule
    assert scores.precision == 1.0 and scores.recall == 1.0 and scores.inconsistent_seen == 4
    test_labels, test_predictions = _data(1)
    flags = rules.flag(test_predictions, _conditions(test_predictions))
    detection = detection_scores(flags, errors(test_predictions, test_labels))
    inconsistent = test_predictions.coarse != PARENT[test_predictions.fine]
    assert (flags == inconsistent).all()  # exactly the inconsistent ones
    assert detection.precision == 1.0 and 0 < detection.recall < 1


def test_constraint_scores_count_consistent_pairs_as_false():
    labels, predictions = _data(2)
    scores = constraint_scores({(0, 0), (0, 1)}, PARENT, predictions)
    assert scores.precision == 0.5 and scores.recall == 0.25


def test_a_condition_naming_no_class_is_a_data_error():
    fine = RuleSet(("f0", "f1"), (DetectionRule(1, ("main_coarse=c9",)),))
    with pytest.raises(DataError, match="condition 'main_coarse=c9' names no class of c0, c1"):
        recovered_constraints(HierarchicalRules(fine, RuleSet(("c0", "c1"))))  # was ValueError
