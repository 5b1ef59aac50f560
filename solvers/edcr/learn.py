"""The three rule learners of EDCR, each for one class ``i`` on the rule-learning data.

- :func:`det_rule_learn` (DetRuleLearn): greedy, the rule may lower class ``i``'s recall by at
  most ``epsilon``.
- :func:`ratio_det_rule_learn` (RatioDetRuleLearn, f-EDR's default): greedy on ``1 / F1`` of
  error detection.
- :func:`corr_rule_learn` (CorrRuleLearn): precision-filtered double greedy over
  (condition, predicted class) pairs; the rule never lowers class ``i``'s precision.

All work on plain arrays: predictions and labels ``(n,)`` ints, conditions ``(n, m)`` bool.
A condition column that equals the head ``pred_i`` itself on the learning data is never used: as a
detection body it would withdraw every prediction of ``i``.

Shape letters: ``n`` samples, ``m`` conditions, ``K`` classes.
"""

from __future__ import annotations

import numpy as np

from nesy.errors import ConfigError

__all__ = ["det_rule_learn", "ratio_det_rule_learn", "corr_rule_learn", "CORRECTION_SMOOTHING"]

CORRECTION_SMOOTHING = 0.001  # the authors' code adds this to f's denominator; it keeps f(X) < 1


def _head(predictions: np.ndarray, labels: np.ndarray, conditions: np.ndarray, label: int):
    """Rows predicted ``label``: their condition values, whether the prediction is right, and
    which columns may be used (not identical to the head on the learning data)."""
    _check(predictions, labels, conditions)
    predicted = predictions == label
    body = conditions[predicted]
    correct = labels[predicted] == label
    usable = ~(conditions == predicted[:, None]).all(axis=0)
    return body, correct, usable


def det_rule_learn(
    predictions: np.ndarray,
    labels: np.ndarray,
    conditions: np.ndarray,
    label: int,
    epsilon: float = 0.1,
) -> tuple[int, ...]:
    """DetRuleLearn: the conditions ``DC_i`` of ``error_i(x) <- pred_i(x) and OR(DC_i)``.

    Greedy: add the condition that makes the body cover the most errors of ``pred_i``, among those
    that keep ``NEG_i`` (correct predictions withdrawn) at most ``q_i = epsilon * N_i * P_i / R_i``.
    Since ``N_i * P_i / R_i = G_i`` (the number of true ``i``), the recall of ``i`` drops by
    ``NEG_i / G_i <= epsilon`` (B.7). We use ``<=`` as PyEDCR does, so the bound is "at most".
    A condition that would cover no new error is not added: it could only withdraw correct
    predictions (the spec's loop would add it).

    Parameters
    ----------
    predictions, labels
        ``(n,)`` class indices of the model and the truth on the rule-learning data.
    conditions
        ``(n, m)`` bool.
    label
        The class ``i`` the rule is for.
    epsilon
        The largest recall drop allowed, in ``[0, 1]``.

    Returns
    -------
    tuple of int
        Column indices of ``DC_i`` in the order chosen; empty when no rule is worth having.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([0, 0, 0, 0, 1]); truth = np.array([0, 0, 1, 1, 1])
    >>> cond = np.array([[0, 1], [0, 0], [1, 0], [1, 1], [0, 0]], dtype=bool)
    >>> det_rule_learn(pred, truth, cond, label=0, epsilon=0.1)
    (0,)
    """
    if not 0.0 <= epsilon <= 1.0:
        raise ConfigError(f"epsilon must lie in [0, 1]; got {epsilon}")
    body, correct, candidates = _head(predictions, labels, conditions, label)
    q = epsilon * int((labels == label).sum())
    wrong = ~correct
    cover = np.zeros(len(body), dtype=bool)
    chosen: list[int] = []
    candidates &= (body & correct[:, None]).sum(0) <= q
    while candidates.any():
        grown = cover[:, None] | body
        caught = (grown & wrong[:, None]).sum(0)
        caught[~candidates] = -1
        best = int(caught.argmax())
        if caught[best] <= int((cover & wrong).sum()):
            break
        chosen.append(best)
        cover = grown[:, best]
        candidates[best] = False
        candidates &= ((cover[:, None] | body) & correct[:, None]).sum(0) <= q
    return tuple(chosen)


def ratio_det_rule_learn(
    predictions: np.ndarray, labels: np.ndarray, conditions: np.ndarray, label: int
) -> tuple[int, ...]:
    """RatioDetRuleLearn (f-EDR): the detection body that minimises ``1 / F1`` of its flags.

    ``1 / F1 = num / den`` with ``num(C) = BOD(C) + FP`` (flags plus all errors of ``pred_i``) and
    ``den(C) = 2 POS(C)`` (twice the errors flagged). Greedy: add the condition with the smallest
    ratio of gains ``d num / d den`` (only conditions that flag new errors compete); of the sets
    visited, return the one with the lowest ``num / den``, the smaller on ties. No recall bound:
    use :func:`det_rule_learn` for that. The authors' code filters the candidates against the set
    before the last addition; we filter against the set after it, which differs only in letting
    the chosen condition compete once more with an infinite ratio.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([0, 0, 0, 0, 1]); truth = np.array([0, 0, 1, 1, 1])
    >>> cond = np.array([[0, 1], [0, 0], [1, 0], [1, 1], [0, 0]], dtype=bool)
    >>> ratio_det_rule_learn(pred, truth, cond, label=0)
    (0,)
    """
    body, correct, candidates = _head(predictions, labels, conditions, label)
    wrong = ~correct
    errors = int(wrong.sum())
    cover = np.zeros(len(body), dtype=bool)
    chosen: list[int] = []
    best: tuple[float, int] = (np.inf, 0)  # (num/den, how many of `chosen` make that set)
    while candidates.any():
        grown = cover[:, None] | body
        num_gain = grown.sum(0) - cover.sum()
        den_gain = 2 * ((grown & wrong[:, None]).sum(0) - (cover & wrong).sum())
        candidates &= den_gain > 0
        if not candidates.any():
            break
        ratio = np.where(candidates, num_gain / np.maximum(den_gain, 1), np.inf)
        pick = int(ratio.argmin())
        chosen.append(pick)
        cover = grown[:, pick]
        candidates[pick] = False
        score = (int(cover.sum()) + errors) / (2 * int((cover & wrong).sum()))
        if score < best[0]:
            best = (score, len(chosen))
    return tuple(chosen[: best[1]])


def corr_rule_learn(
    predictions: np.ndarray,
    labels: np.ndarray,
    conditions: np.ndarray,
    label: int,
    num_classes: int,
    guarded: bool = False,
) -> tuple[tuple[int, int], ...]:
    """CorrRuleLearn: pairs ``CC_i`` of ``corr_i(x) <- OR over (c, j) of (c(x) and pred_j(x))``.

    Candidates are the pairs (condition ``c``, predicted class ``j != i``) whose precision
    ``f({(c, j)}) = POS / (BOD + 0.001)`` exceeds ``P_i``, the model's precision on ``i``.
    Buchbinder et al.'s deterministic double greedy runs over them in ascending ``f``; the result
    is dropped when ``f(X) < P_i``. So the rule never lowers the precision of ``i`` on the learning
    data (B.7), and, since every body sample is predicted ``j != i``, never lowers its recall.

    The published method looks at class ``i`` only: where ``P_i`` is low (a class the model seldom
    gets right, or never predicts, so ``P_i = 0``) it accepts bodies that are mostly *correct*
    predictions of ``j`` and relabels them wrongly; on Fashion-MNIST that costs accuracy.
    ``guarded=True`` is our repair: a pair is a candidate only if its body holds more true ``i``
    than correct predictions of ``j`` (relabelling it gains accuracy on the learning data), and the
    result is dropped unless the whole body does too.

    Returns
    -------
    tuple of (int, int)
        ``(condition column, predicted class)`` pairs; empty when no rule is worth having.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([1, 1, 1, 0, 0]); truth = np.array([0, 0, 1, 0, 1])
    >>> cond = np.array([[1], [1], [0], [0], [0]], dtype=bool)
    >>> corr_rule_learn(pred, truth, cond, label=0, num_classes=2)
    ((0, 1),)
    """
    _check(predictions, labels, conditions)
    predicted = predictions == label
    precision = float((labels[predicted] == label).mean()) if predicted.any() else 0.0
    pairs = [(c, j) for j in range(num_classes) if j != label for c in range(conditions.shape[1])]
    if not pairs:
        return ()
    columns = np.array([c for c, _ in pairs])
    classes = np.array([j for _, j in pairs])
    bodies = conditions[:, columns] & (predictions[:, None] == classes[None, :])
    hits = labels == label

    def f(counts: np.ndarray) -> float:
        covered = counts > 0
        return float((covered & hits).sum() / (covered.sum() + CORRECTION_SMOOTHING))

    right = predictions == labels  # correct predictions, which a relabelling loses

    def gains(counts: np.ndarray) -> bool:
        covered = counts > 0
        return bool((covered & hits).sum() > (covered & right).sum())

    alone = (bodies & hits[:, None]).sum(0) / (bodies.sum(0) + CORRECTION_SMOOTHING)
    admitted = alone > precision
    if guarded:
        admitted &= (bodies & hits[:, None]).sum(0) > (bodies & right[:, None]).sum(0)
    order = [int(e) for e in np.argsort(alone, kind="stable") if admitted[e]]
    x_count = np.zeros(len(predictions), dtype=np.int64)
    y_count = bodies[:, order].sum(1)
    chosen: list[int] = []
    for e in order:
        column = bodies[:, e]
        gain_add = f(x_count + column) - f(x_count)
        gain_remove = f(y_count - column) - f(y_count)
        if gain_add >= gain_remove:
            x_count += column
            chosen.append(e)
        else:
            y_count -= column
    if f(x_count) < precision or (guarded and not gains(x_count)):
        return ()
    return tuple(pairs[e] for e in chosen)


def _check(predictions: np.ndarray, labels: np.ndarray, conditions: np.ndarray) -> None:
    n = len(predictions)
    if len(labels) != n or conditions.ndim != 2 or conditions.shape[0] != n:
        raise ConfigError(
            f"expected predictions (n,), labels (n,), conditions (n, m) with one n; got "
            f"{np.shape(predictions)}, {np.shape(labels)}, {np.shape(conditions)}"
        )
