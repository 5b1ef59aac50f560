"""MNIST-addition-k as a cascade of possibilistic rule sets (Pi-NeSy, ALGORITHMS.md A.8).

The rule base is **hand-built** from A.8 (the authors' ``mnistadd_rulebase.py``), not derived
from a nesy program. Columns are numbered as in ``programs/mnist_addition_carry.nesy``: column
``i = 0`` is the units. For each column ``i``:

* ``c_i``, the column's digits: the pair ``(a_i, b_i)`` (100 values) for the units, the triple
  ``(a_i, b_i, w_{i-1})`` with the carry in (200 values) for the others. Rules, interleaved for
  ``d = 0..9``: "a_i = d ⇒ c_i ∈ {(d, ·)}" and "b_i = d ⇒ c_i ∈ {(·, d)}", plus, for triples,
  "w_{i-1} = 0 ⇒ c_i ∈ {(·, ·, 0)}";
* ``w_i``, the carry out: "c_i ∈ {sum >= 10} ⇒ w_i = 1";
* ``y_i``, the sum digit: "c_i ∈ {sum mod 10 = d} ⇒ y_i = d" for ``d = 0..9``;
* and the sum's last digit ``y_k``: "w_{k-1} = 0 ⇒ y_k = 0".

(A.8 numbers columns the other way, ``j = k`` for the units, and calls the last digit ``y_0``.)
Each column's rule sets have their own parameters, learned in cascade order
``c_0 → w_0 → c_1 → ...`` from the **inferred** outputs of the stages before (A.7), with the
ground-truth column concepts as targets, and one threshold per group (c-tuples, carries, sum
digits).

Shape letters: ``P`` examples, ``k`` digits per number, ``V`` values of a concept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import torch
from torch import Tensor

from nesy.errors import ConfigError
from solvers.possibilistic.decide import decide
from solvers.possibilistic.learning import learn_parameters
from solvers.possibilistic.rules import RuleSet, premise_degrees

__all__ = [
    "GROUPS",
    "AdditionRules",
    "ColumnLabels",
    "column_labels",
    "Stage",
    "Cascade",
    "cascade",
    "Prediction",
    "predict",
    "explain",
]

#: The threshold groups, in the order the threshold search visits them (A.7).
GROUPS = ("c-tuples", "carries", "sum digits")
_DIGITS = range(10)


def _column_rules(name: str, with_carry: bool) -> RuleSet:
    values: list[tuple[int, ...]] = [(a, b, w) for a in _DIGITS for b in _DIGITS for w in (0, 1)]
    if not with_carry:
        values = [(a, b) for a in _DIGITS for b in _DIGITS]
    conclusions, premises = [], []
    for d in _DIGITS:
        conclusions.append(frozenset(v for v, t in enumerate(values) if t[0] == d))
        premises.append(f"a = {d}")
        conclusions.append(frozenset(v for v, t in enumerate(values) if t[1] == d))
        premises.append(f"b = {d}")
    if with_carry:
        conclusions.append(frozenset(v for v, t in enumerate(values) if t[2] == 0))
        premises.append("carry in = 0")
    return RuleSet(name, tuple(values), tuple(conclusions), tuple(premises))


@cache  # two domains (pairs, triples), asked for on every column of every cascade run
def _sum_masks(values: tuple[tuple[int, ...], ...]) -> tuple[Tensor, Tensor]:
    sums = torch.tensor([sum(v) for v in values])
    carry = (sums >= 10).unsqueeze(0)  # (1, V): the premise "c ∈ {sum >= 10}"
    digit = sums.remainder(10).unsqueeze(0) == torch.arange(10).unsqueeze(1)  # (10, V)
    return carry, digit


@dataclass(frozen=True)
class AdditionRules:
    """The rule sets of one column kind, shared (as structure) by every column."""

    pair: RuleSet = field(default_factory=lambda: _column_rules("c", with_carry=False))
    triple: RuleSet = field(default_factory=lambda: _column_rules("c", with_carry=True))
    carry: RuleSet = RuleSet("w", (0, 1), (frozenset({1}),), ("c ∈ {sum >= 10}",))
    digit: RuleSet = RuleSet(
        "y", tuple(_DIGITS), tuple(frozenset({d}) for d in _DIGITS),
        tuple(f"c ∈ {{sum mod 10 = {d}}}" for d in _DIGITS),
    )  # fmt: skip
    last: RuleSet = RuleSet("y_last", (0, 1), (frozenset({0}),), ("carry out = 0",))

    def column(self, i: int) -> RuleSet:
        return self.pair if i == 0 else self.triple

    def masks(self, i: int) -> tuple[Tensor, Tensor]:
        """Premise sets over ``c_i``'s values: (carry ``(1, V)``, sum digit ``(10, V)``)."""
        return _sum_masks(self.column(i).values)  # type: ignore[arg-type]


RULES = AdditionRules()


class ColumnLabels(NamedTuple):
    """Ground-truth concepts of each example, by ordinary column addition.

    Shape:
        c: ``(P, k)`` value index of ``c_i``; w: ``(P, k)`` carries out; y: ``(P, k + 1)`` digits
        of the sum (``y[:, k]`` the last carry).
    """

    c: Tensor
    w: Tensor
    y: Tensor


def column_labels(a: Tensor, b: Tensor) -> ColumnLabels:
    """Shape: a, b: ``(P, k)`` digits, units first -> :class:`ColumnLabels`."""
    c, w, y = [], [], []
    carry = torch.zeros_like(a[:, 0])
    for i in range(a.shape[1]):
        pair = a[:, i] * 10 + b[:, i]
        c.append(pair if i == 0 else pair * 2 + carry)
        total = a[:, i] + b[:, i] + carry
        carry = (total >= 10).long()
        w.append(carry)
        y.append(total % 10)
    y.append(carry)
    return ColumnLabels(torch.stack(c, 1), torch.stack(w, 1), torch.stack(y, 1))


class Stage(NamedTuple):
    """One rule set applied to a batch: its premise degrees, parameters and output, and the
    threshold it was learned with (``None`` when its parameters were given).

    Shape:
        lam, rho: ``(P, n)``; params: ``(2n,)``; possibility: ``(P, V)``.
    """

    rules: RuleSet
    lam: Tensor
    rho: Tensor
    params: Tensor
    possibility: Tensor
    tau: float | None = None


class Cascade(NamedTuple):
    """Every stage of every column, in the order they ran: ``c``, ``w``, ``y`` per column, then
    ``y_last``."""

    c: list[Stage]
    w: list[Stage]
    y: list[Stage]
    last: Stage

    def feasible(self) -> tuple[float, float, float]:
        """Per threshold group, the largest threshold a stage was learned with: after learning
        at thresholds 0, the groups' minimal feasible thresholds."""
        groups = (self.c, self.w, [*self.y, self.last])
        return tuple(max(s.tau or 0.0 for s in stages) for stages in groups)  # type: ignore[return-value]

    def params(self) -> dict[str, list[Tensor]]:
        return {
            "c": [s.params for s in self.c],
            "w": [s.params for s in self.w],
            "y": [s.params for s in self.y],
            "last": [self.last.params],
        }


def _stage(
    rules: RuleSet,
    lam: Tensor,
    rho: Tensor,
    params: Tensor | None,
    labels: Tensor | None,
    tau: float,
) -> Stage:
    if params is not None:
        return Stage(rules, lam, rho, params, rules.infer(lam, rho, params))
    if labels is None:
        raise ConfigError(f"rule set {rules.name}: neither parameters nor labels to learn from")
    learned = learn_parameters(
        rules.learning_matrix(lam, rho), rules.targets(labels).to(lam.dtype), tau
    )
    return Stage(
        rules, lam, rho, learned.params, rules.infer(lam, rho, learned.params), float(learned.tau)
    )


def _digit_premises(pi_a: Tensor, pi_b: Tensor) -> tuple[Tensor, Tensor]:
    eye = torch.eye(10, dtype=torch.bool)
    lam_a, rho_a = premise_degrees(pi_a, eye)
    lam_b, rho_b = premise_degrees(pi_b, eye)
    return torch.stack((lam_a, lam_b), -1).flatten(-2), torch.stack((rho_a, rho_b), -1).flatten(-2)


def cascade(
    pi_a: Tensor,
    pi_b: Tensor,
    params: dict[str, list[Tensor]] | None = None,
    labels: ColumnLabels | None = None,
    thresholds: tuple[float, ...] = (0.0, 0.0, 0.0),
) -> Cascade:
    """Run (and, without ``params``, learn) the whole cascade on a batch of examples.

    Parameters
    ----------
    pi_a, pi_b
        The digits' possibility distributions (transformed softmax outputs).
    params
        Learned parameters (:meth:`Cascade.params`); ``None``: learn each stage from ``labels``
        before applying it, with ``thresholds`` (c-tuples, carries, sum digits; each stage
        raises its group's to its own minimal feasible value).

    Shape:
        pi_a, pi_b: ``(P, k, 10)`` -> :class:`Cascade`.
    """
    if pi_a.shape != pi_b.shape or pi_a.ndim != 3 or pi_a.shape[-1] != 10:
        raise ConfigError(
            f"expected two (P, k, 10) possibility tensors; got {tuple(pi_a.shape)} and "
            f"{tuple(pi_b.shape)}"
        )
    tau_c, tau_w, tau_y = thresholds

    def given(kind: str, i: int) -> Tensor | None:
        return None if params is None else params[kind][i]

    def label(kind: str, i: int) -> Tensor | None:
        return None if labels is None else getattr(labels, kind)[:, i]

    c_stages: list[Stage] = []
    w_stages: list[Stage] = []
    y_stages: list[Stage] = []
    for i in range(pi_a.shape[1]):
        lam, rho = _digit_premises(pi_a[:, i], pi_b[:, i])
        if i > 0:  # "carry in = 0": λ = π_w(0), ρ = π_w(1)
            carry_in = w_stages[-1].possibility
            lam = torch.cat((lam, carry_in[:, :1]), -1)
            rho = torch.cat((rho, carry_in[:, 1:]), -1)
        c = _stage(RULES.column(i), lam, rho, given("c", i), label("c", i), tau_c)
        carry_mask, digit_mask = RULES.masks(i)
        w = _stage(RULES.carry, *premise_degrees(c.possibility, carry_mask), given("w", i),
                   label("w", i), tau_w)  # fmt: skip
        y = _stage(RULES.digit, *premise_degrees(c.possibility, digit_mask), given("y", i),
                   label("y", i), tau_y)  # fmt: skip
        c_stages.append(c)
        w_stages.append(w)
        y_stages.append(y)
    carry_out = w_stages[-1].possibility
    last_params = None if params is None else params["last"][0]
    last_label = None if labels is None else labels.y[:, -1]
    last = _stage(RULES.last, carry_out[:, :1], carry_out[:, 1:], last_params, last_label, tau_y)
    return Cascade(c_stages, w_stages, y_stages, last)


class Prediction(NamedTuple):
    """The predicted sum digits and whether any was a tie.

    Shape:
        digits: ``(P, k + 1)`` units first; ambiguous: ``(P,)`` bool.
    """

    digits: Tensor
    ambiguous: Tensor

    def correct(self, truth: Tensor) -> Tensor:
        """``(P,)`` bool: every digit right and no tie (ties count as wrong)."""
        return (self.digits == truth).all(-1) & ~self.ambiguous


def predict(result: Cascade) -> Prediction:
    """The argmax of every ``y_i`` (and ``y_k``) of a cascade run."""
    decisions = [decide(s.possibility) for s in (*result.y, result.last)]
    digits = torch.stack([d for d, _ in decisions], 1)
    ambiguous = torch.stack([a for _, a in decisions], 1).any(1)
    return Prediction(digits, ambiguous)


def _bottleneck(stage: Stage, example: int, value: int) -> tuple[str, float]:
    """The rule whose output sets ``π*(value)`` (the min over rules of A.3), and its degree."""
    inside = torch.tensor([value in q for q in stage.rules.conclusions])
    s, r = stage.params[0::2], stage.params[1::2]
    alpha = torch.maximum(s, stage.lam[example])
    beta = torch.maximum(r, stage.rho[example])
    degrees = torch.where(inside, alpha, beta)
    rule = int(degrees.argmin())
    premise = stage.rules.premises[rule]
    return (premise if inside[rule] else f"not ({premise})"), float(degrees[rule])


def _describe(name: str, stage: Stage, example: int) -> str:
    pi = stage.possibility[example]
    ranked = pi.argsort(descending=True, stable=True)
    best, runner_up = int(ranked[0]), int(ranked[1])
    values = stage.rules.values
    why, degree = _bottleneck(stage, example, runner_up)
    return (
        f"{name} = {values[best]} (π {float(pi[best]):.3f}); next {values[runner_up]} "
        f"(π {float(pi[runner_up]):.3f}, held down by '{why}' at {degree:.3f})"
    )


def explain(result: Cascade, example: int) -> str:
    """Why the cascade predicted what it did for one example: per column, the most possible
    column concept, carry and sum digit with their possibility degrees, and for each the
    runner-up value and the rule that kept it lower (its bottleneck in the min-max)."""
    lines = []
    for i, (c, w, y) in enumerate(zip(result.c, result.w, result.y, strict=True)):
        lines.append(f"column {i}:")
        lines.append("  " + _describe(f"c_{i}", c, example))
        lines.append("  " + _describe(f"w_{i}", w, example))
        lines.append("  " + _describe(f"y_{i}", y, example))
    lines.append("  " + _describe(f"y_{len(result.y)}", result.last, example))
    return "\n".join(lines)
