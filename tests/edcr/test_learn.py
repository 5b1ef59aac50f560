"""The learners: hand-checked cases, and the B.7 guarantees on random rule-learning data."""

import numpy as np
import pytest

from nesy.errors import ConfigError
from solvers.edcr.learn import corr_rule_learn, det_rule_learn, ratio_det_rule_learn
from solvers.edcr.metrics import class_precision, class_recall, detection_scores


def _random_task(seed, n=300, k=4, m=12):
    """Predictions that are right ~70% of the time and conditions correlated with the errors."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    wrong = rng.random(n) < 0.3
    predictions = np.where(wrong, (labels + rng.integers(1, k, n)) % k, labels)
    signal = rng.random((n, m)) < np.where(wrong[:, None], 0.5, 0.1) * rng.random(m)[None, :] * 2
    noise = rng.random((n, m)) < 0.05
    return predictions, labels, signal | noise


def _withdrawn(predictions, conditions, label, body):
    fires = (predictions == label) & conditions[:, list(body)].any(axis=1)
    return np.where(fires, -1, predictions)


SEEDS = range(40)


@pytest.mark.parametrize("epsilon", [0.0, 0.01, 0.05, 0.1, 0.3])
def test_detection_rules_lower_recall_by_at_most_epsilon(epsilon):
    for seed in SEEDS:
        predictions, labels, conditions = _random_task(seed)
        for label in range(4):
            body = det_rule_learn(predictions, labels, conditions, label, epsilon)
            after = _withdrawn(predictions, conditions, label, body)
            drop = class_recall(predictions, labels, label) - class_recall(after, labels, label)
            assert drop <= epsilon + 1e-12, (seed, label, body, drop)


def test_detection_rules_catch_errors_on_correlated_data():
    caught = 0
    for seed in SEEDS:
        predictions, labels, conditions = _random_task(seed)
        for label in range(4):
            body = det_rule_learn(predictions, labels, conditions, label, 0.1)
            after = _withdrawn(predictions, conditions, label, body)
            caught += int(((after == -1) & (predictions != labels)).sum())
    assert caught > 0


def test_correction_rules_never_lower_precision():
    learned = 0
    for seed in SEEDS:
        predictions, labels, conditions = _random_task(seed)
        for label in range(4):
            pairs = corr_rule_learn(predictions, labels, conditions, label, 4)
            learned += bool(pairs)
            fires = np.zeros(len(labels), dtype=bool)
            for c, j in pairs:
                assert j != label
                fires |= conditions[:, c] & (predictions == j)
            after = np.where(fires, label, predictions)
            before_p = class_precision(predictions, labels, label)
            assert class_precision(after, labels, label) >= before_p - 1e-12, (seed, label)
            assert class_recall(after, labels, label) >= class_recall(predictions, labels, label)
    assert learned > 0  # the guarantee is not vacuous


def test_det_rule_learn_by_hand():
    # class 0 predicted on 5 samples, 3 of them wrong; condition 0 covers 2 errors and nothing
    # else, condition 1 covers the third error and one correct prediction.
    predictions = np.array([0, 0, 0, 0, 0, 1, 1])
    labels = np.array([0, 0, 1, 1, 2, 0, 1])
    conditions = np.array([[0, 1], [0, 0], [1, 0], [1, 0], [0, 1], [0, 0], [0, 0]], dtype=bool)
    # G_0 = 3 true zeros: epsilon 0.1 allows 0.3 withdrawn correct predictions, i.e. none
    assert det_rule_learn(predictions, labels, conditions, 0, 0.1) == (0,)
    # epsilon 1/3 allows one
    assert det_rule_learn(predictions, labels, conditions, 0, 1 / 3) == (0, 1)


def test_ratio_det_rule_learn_returns_the_best_visited_set():
    # adding condition 1 catches one more error for two false flags: F1 falls, so it is dropped
    predictions = np.zeros(8, dtype=int)
    labels = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    conditions = np.zeros((8, 2), dtype=bool)
    conditions[[0, 1, 2], 0] = True
    conditions[[7, 3, 4], 1] = True
    body = ratio_det_rule_learn(predictions, labels, conditions, 0)
    assert body == (0,)
    errors = predictions != labels
    f1 = {s: detection_scores(conditions[:, list(s)].any(1), errors).f1 for s in [(0,), (0, 1)]}
    assert f1[(0,)] > f1[(0, 1)]


def test_ratio_det_rule_learn_is_never_worse_than_no_rule_on_random_data():
    for seed in range(10):
        predictions, labels, conditions = _random_task(seed)
        for label in range(4):
            body = ratio_det_rule_learn(predictions, labels, conditions, label)
            mine = predictions == label
            errors = (predictions != labels)[mine]
            flags = conditions[mine][:, list(body)].any(1)
            if body:
                assert detection_scores(flags, errors).f1 > 0


def test_a_column_equal_to_the_head_is_never_used():
    predictions = np.array([0, 0, 1, 1])
    labels = np.array([1, 0, 1, 1])
    conditions = (predictions == 0)[:, None]  # "the model predicts 0" itself
    assert det_rule_learn(predictions, labels, conditions, 0, 1.0) == ()
    assert ratio_det_rule_learn(predictions, labels, conditions, 0) == ()


def test_bad_shapes_and_epsilon_are_refused():
    with pytest.raises(ConfigError, match="one n"):
        det_rule_learn(np.zeros(3, int), np.zeros(2, int), np.zeros((3, 1), bool), 0)
    with pytest.raises(ConfigError, match="epsilon"):
        det_rule_learn(np.zeros(3, int), np.zeros(3, int), np.zeros((3, 1), bool), 0, 1.5)


def test_published_correction_can_cost_accuracy_and_the_guard_refuses_it():
    # class 0 is never predicted (P_0 = 0): the published filter f > 0 admits a body of ten
    # predictions of 1 of which only two are truly 0, and relabelling it loses six correct labels
    predictions = np.ones(12, dtype=int)
    labels = np.array([0, 0] + [1] * 8 + [0, 1])
    conditions = np.zeros((12, 1), dtype=bool)
    conditions[:10, 0] = True
    assert corr_rule_learn(predictions, labels, conditions, 0, 2) == ((0, 1),)
    assert corr_rule_learn(predictions, labels, conditions, 0, 2, guarded=True) == ()


def test_guarded_correction_never_lowers_accuracy():
    for seed in SEEDS:
        predictions, labels, conditions = _random_task(seed)
        for label in range(4):
            pairs = corr_rule_learn(predictions, labels, conditions, label, 4, guarded=True)
            fires = np.zeros(len(labels), dtype=bool)
            for c, j in pairs:
                fires |= conditions[:, c] & (predictions == j)
            after = np.where(fires, label, predictions)
            assert (after == labels).mean() >= (predictions == labels).mean(), (seed, label)
