"""EDCR: learned error-detection and correction rules over a trained model's predictions.

Rules are learned on labelled data from the model's predictions and Boolean *conditions* that can
be computed at test time (another model's prediction, the prediction at another granularity, a
threshold on a binary model's score), then applied to new predictions:

    >>> import numpy as np
    >>> from solvers.edcr import Conditions, learn_rules
    >>> predictions, labels = np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0])
    >>> second_opinion = np.array([0, 1, 1, 1, 0])[:, None] == np.arange(2)
    >>> secondary = Conditions(("sec=0", "sec=1"), second_opinion)
    >>> rules = learn_rules(predictions, labels, secondary, ["a", "b"], epsilon=0.0)
    >>> print(rules.to_text())
    #defined pred/2.
    #defined holds/2.
    error(X) :- pred(X, a), holds(X, "sec=1").
    error(X) :- pred(X, b), holds(X, "sec=0").
    corrected(X, a) :- pred(X, b), holds(X, "sec=0").
    corrected(X, b) :- pred(X, a), holds(X, "sec=1").
    >>> rules.apply(predictions, secondary).labels.tolist()
    [0, 1, 1, 1, 0]

Modules: :mod:`~solvers.edcr.conditions` (columns and their files), :mod:`~solvers.edcr.learn`
(DetRuleLearn, RatioDetRuleLearn, CorrRuleLearn), :mod:`~solvers.edcr.rules` (rule sets),
:mod:`~solvers.edcr.hierarchy` (f-EDR: fine/coarse labels, constraint recovery),
:mod:`~solvers.edcr.metrics`, ``tasks/fashion_edcr`` (the Fashion-MNIST task) and
:mod:`~solvers.edcr.cli` (``nesy edcr``).
"""

from solvers.edcr.conditions import Conditions, read_conditions, write_conditions
from solvers.edcr.hierarchy import Levels, learn_hierarchical, recovered_constraints
from solvers.edcr.rules import RuleSet, learn_rules, read_rules, write_rules

__all__ = [
    "Conditions",
    "Levels",
    "RuleSet",
    "learn_hierarchical",
    "learn_rules",
    "read_conditions",
    "read_rules",
    "recovered_constraints",
    "write_conditions",
    "write_rules",
]
