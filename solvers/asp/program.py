"""A program under stable-model semantics with neural atoms (NeurASP), grounded once by clingo.

The core's translation (:mod:`nesy.ground.translate`) turns every probabilistic fact, annotated
disjunction and neural atom into a free choice over reserved atoms. This module adds what makes
those choices categorical (exactly one value per neural input, at most one head per annotated
disjunction), grounds the result once, and reads the *choice groups* back from clingo's symbol
table. A *total choice* picks one value in every group; :mod:`solvers.asp.semantics` counts the
stable models under each.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import clingo

from nesy.errors import GroundingError, NesyTypeError
from nesy.ground.translate import AD, INPUT, NN, ON, PF, choice_activations, to_clingo
from nesy.lang import ir
from nesy.lang.depend import negative_cycle

__all__ = ["ChoiceGroup", "AspProgram", "INACTIVE", "merge", "is_total"]

# Exactly one value per neural input; at most one head per annotated disjunction instance.
CATEGORICAL = (
    f":- {INPUT}(K, I), #count {{ Y, A : {NN}(K, I, Y, A) }} != 1.\n"
    f":- {AD}(K, Key, J1, _), {AD}(K, Key, J2, _), J1 < J2.\n"
)
# Models show their choices and where each choice is offered, nothing else.
_SHOW = "".join(
    f"#show {name}/{arity}.\n"
    for name, arity in ((NN, 4), (AD, 4), (PF, 3), (ON, 2), (ON, 3), (INPUT, 2))
)


@dataclass(frozen=True, slots=True)
class ChoiceGroup:
    """One ground probabilistic or neural choice: exactly one of its values holds.

    ``literals[v]`` is the clingo program literal that is true when value ``v`` is chosen, or
    ``None`` for the value that holds when no literal does (a probabilistic fact left false, an
    annotated disjunction's residual). A neural group's distribution comes from ``network``
    applied to the tensors ``inputs``; the others carry fixed ``log_probs``.
    """

    key: str
    labels: tuple[str, ...]
    literals: tuple[int | None, ...]
    network: str | None = None
    inputs: tuple[str, ...] = ()
    log_probs: tuple[float, ...] = ()

    @property
    def is_neural(self) -> bool:
        return self.network is not None


def merge(programs: Sequence[ir.Program]) -> ir.Program:
    """Several files read as one program (a program and its facts), named after the first."""
    statements = tuple(s for p in programs for s in p.statements)
    return ir.Program(statements, programs[0].source)


def is_total(program: ir.Program) -> bool:
    """Whether every total choice has exactly one stable model, judged from the text: no
    integrity constraints, no choice rules, and no negation or aggregate through recursion.
    Sufficient, not necessary."""
    from nesy.infer.compile import outside_class  # networkx, pysdd: not for plain `nesy solve`

    return outside_class(program) is None and negative_cycle(program, aggregates=True) is None


#: an annotated disjunction whose probabilities leave less than this has no "none" value
RESIDUAL_TOLERANCE = 1e-12
INACTIVE = -1  # a group whose choice is not offered in a model: both values lead there


class AspProgram:
    """A program grounded once; solve it many times under different assumptions.

    The control shows exactly the choice atoms and where each choice is offered, so a model's
    total choice is read from its few shown symbols.

    Parameters
    ----------
    program
        The parsed program (merge a program and its facts files with :func:`merge`).
    extra
        More clingo text to ground with it (weak constraints).
    show
        Show only these atoms (models then name only their groups' values); default: every
        choice and activation atom.
    optimise
        Search for an optimal model (``extra`` holds the weak constraints).
    """

    def __init__(
        self,
        program: ir.Program,
        extra: str = "",
        *,
        show: Sequence[clingo.Symbol] | None = None,
        optimise: bool = False,
    ) -> None:
        self.program = program
        self.total = is_total(program)
        messages: list[str] = []
        options = ["--warn=none"]
        # usc (core-guided) proves optimality on Sudoku-sized readings where the default
        # branch-and-bound search took minutes
        options += ["--opt-mode=opt", "--opt-strategy=usc"] if optimise else []
        self.control = clingo.Control(
            options, logger=lambda _code, text: messages.append(text.strip())
        )
        shows = _SHOW if show is None else "#show.\n" + "".join(f"#show {a} : {a}.\n" for a in show)
        text = (
            to_clingo(program)
            + choice_activations(program)
            + CATEGORICAL
            + _no_residual(program)
            + shows
            + extra
        )
        try:
            self.control.add("base", [], text)
            self.control.ground([("base", [])])
        except RuntimeError as exc:
            detail = "; ".join(messages) or str(exc)
            raise GroundingError(f"clingo could not ground {program.source}: {detail}") from exc
        self.groups: list[ChoiceGroup] = []
        self._chosen: dict[clingo.Symbol, tuple[int, int]] = {}  # choice atom -> (group, value)
        self._active: dict[clingo.Symbol, int] = {}  # activation atom -> group
        self._read_groups()
        self._values: list[dict[int, clingo.Symbol]] = [{} for _ in self.groups]
        for symbol, (g, v) in self._chosen.items():
            self._values[g][v] = symbol
        self._activation = {g: symbol for symbol, g in self._active.items()}
        #: N(c) of the total choices counted so far (see ``semantics.model_count``)
        self.model_counts: dict[tuple[int, ...], int] = {}
        #: the groups an observation's diagram decides, and assumptions that pin the others
        self.decided = list(range(len(self.groups)))
        self.pinned: list[int] = []

    def atoms_of(self, group: int) -> list[clingo.Symbol]:
        """The group's choice atoms and the atom that says its choice is offered."""
        return [*self._values[group].values(), self._activation[group]]

    def activation_literal(self, group: int) -> int:
        """The program literal of the atom that says the group's choice is offered."""
        atom = self.control.symbolic_atoms[self._activation[group]]
        assert atom is not None, "a group is read from ground choice atoms, so it is offered"
        return atom.literal

    def value_condition(self, group: int, value: int) -> str:
        """clingo body text that holds exactly when ``group`` takes ``value``."""
        chosen = self._values[group]
        if value in chosen:
            return str(chosen[value])
        negated = ", ".join(f"not {s}" for s in chosen.values())
        return f"{self._activation[group]}, {negated}"

    def literal(self, atom: str | clingo.Symbol) -> int | None:
        """The program literal of a ground atom, ``None`` when the grounding has no such atom
        (it can never be true)."""
        symbol = clingo.parse_term(atom) if isinstance(atom, str) else atom
        found = self.control.symbolic_atoms[symbol]
        return found.literal if found is not None else None

    def assumptions(
        self, observation: Iterable[tuple[str | clingo.Symbol, bool]]
    ) -> list[int] | None:
        """Solver assumptions for ``(atom, truth)`` pairs; ``None`` when they cannot all hold."""
        result = []
        for atom, truth in observation:
            literal = self.literal(atom)
            if literal is None:
                if truth:
                    return None
                continue
            result.append(literal if truth else -literal)
        return result

    def choice_of(self, model: clingo.Model) -> tuple[int, ...]:
        """The total choice a stable model makes: one value per group, ``INACTIVE`` where the
        group's choice is not offered."""
        choice = [INACTIVE] * len(self.groups)
        chosen = []
        for symbol in model.symbols(shown=True):
            if symbol not in self._chosen and symbol not in self._active:
                continue  # a user's own #show term
            if symbol in self._active:
                group = self._active[symbol]
                if choice[group] == INACTIVE:  # "offered, nothing chosen" unless a value is
                    choice[group] = self._residual[group]
            else:
                chosen.append(self._chosen[symbol])
        for group, value in chosen:
            choice[group] = value
        return tuple(choice)

    def choice_assumptions(self, choice: Sequence[int]) -> list[int]:
        """Assumptions that fix every group to its value in ``choice``."""
        result = []
        for group, value in zip(self.groups, choice, strict=True):
            result += [lit if v == value else -lit for v, lit in enumerate(group.literals) if lit]
        return result

    def log_weight(self, choice: Sequence[int]) -> float:
        """log P(choice) over the groups with fixed probabilities (neural groups excluded)."""
        return sum(
            group.log_probs[value]
            for group, value in zip(self.groups, choice, strict=True)
            if not group.is_neural and value != INACTIVE
        )

    def _read_groups(self) -> None:
        atoms = self.control.symbolic_atoms
        found: dict[tuple[int, str], dict[str, tuple[clingo.Symbol, int, clingo.Symbol]]] = {}
        for name, arity in ((NN, 4), (AD, 4), (PF, 3)):
            for atom in atoms.by_signature(name, arity):
                symbol = atom.symbol
                index = symbol.arguments[0].number
                if name == PF:  # __nesy_pf(k, head, key): a group of its own
                    key, value, head = str(symbol), "0", symbol.arguments[1]
                else:  # __nesy_nn(k, inputs, y, atom) / __nesy_ad(k, key, i, head)
                    key, value = str(symbol.arguments[1]), str(symbol.arguments[2])
                    head = symbol.arguments[3]
                found.setdefault((index, key), {})[value] = (symbol, atom.literal, head)
        residual = []
        for (index, key), members in sorted(found.items()):
            group, values = self._group(index, key, members)
            g = len(self.groups)
            self.groups.append(group)
            for v, value in enumerate(values):
                self._chosen[members[value][0]] = (g, v)
            self._active[_activation(self.program.statements[index], index, members)] = g
            residual.append(len(values) if len(group.literals) > len(values) else INACTIVE)
        self._residual = residual

    def _group(
        self, index: int, key: str, members: dict[str, tuple[clingo.Symbol, int, clingo.Symbol]]
    ) -> tuple[ChoiceGroup, list[str]]:
        """The group and the member value keys of its literal values, in order."""
        statement = self.program.statements[index]
        if isinstance(statement, ir.NeuralPredicate):
            from nesy.infer.model import input_name  # torch: not loaded for `nesy solve`

            values = [str(v) for v in statement.domain]
            missing = [v for v in values if v not in members]
            if missing:
                raise NesyTypeError(
                    f"neural atom {key}: values {missing} were not grounded", statement.span
                )
            inputs = clingo.parse_term(key).arguments
            group = ChoiceGroup(
                key=f"{statement.network}{key}",
                labels=tuple(str(members[v][2]) for v in values),
                literals=tuple(members[v][1] for v in values),
                network=statement.network,
                inputs=tuple(input_name(s) for s in inputs),
            )
            return group, values
        if isinstance(statement, ir.ProbFact):
            (_, literal, head), p = members["0"], statement.probability
            group = ChoiceGroup(
                key, (str(head), f"\\+{head}"), (literal, None), log_probs=_logs(p, 1 - p)
            )
            return group, ["0"]
        assert isinstance(statement, ir.AnnotatedDisjunction)
        values = [str(i) for i in range(len(statement.heads))]  # the heads share one body
        probabilities = [p for p, _ in statement.heads]
        labels = [str(members[v][2]) for v in values]
        literals: list[int | None] = [members[v][1] for v in values]
        residual = 1.0 - sum(probabilities)
        if residual > RESIDUAL_TOLERANCE:
            labels.append("none")
            literals.append(None)
            probabilities.append(residual)
        group = ChoiceGroup(
            f"ad{index}{key}", tuple(labels), tuple(literals), log_probs=_logs(*probabilities)
        )
        return group, values


def _no_residual(program: ir.Program) -> str:
    """Where an annotated disjunction's probabilities sum to 1 and its body holds, one of its
    heads must be chosen: "none" is not a value it has (CATEGORICAL allows at most one)."""
    return "".join(
        f":- {ON}({index}, Key), not {AD}({index}, Key, _, _).\n"
        for index, statement in enumerate(program.statements)
        if isinstance(statement, ir.AnnotatedDisjunction)
        and 1.0 - sum(p for p, _ in statement.heads) <= RESIDUAL_TOLERANCE
    )


def _activation(
    statement: ir.Statement,
    index: int,
    members: dict[str, tuple[clingo.Symbol, int, clingo.Symbol]],
) -> clingo.Symbol:
    """The atom that holds where a group's choice is offered (see ``choice_activations``)."""
    symbol = next(iter(members.values()))[0]
    k = clingo.Number(index)
    if isinstance(statement, ir.NeuralPredicate):
        return clingo.Function(INPUT, [k, symbol.arguments[1]])
    if isinstance(statement, ir.ProbFact):
        return clingo.Function(ON, [k, *symbol.arguments[1:]])
    return clingo.Function(ON, [k, symbol.arguments[1]])


def _logs(*probabilities: float) -> tuple[float, ...]:
    return tuple(math.log(p) if p > 0 else -math.inf for p in probabilities)
