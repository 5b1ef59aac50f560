"""Boolean structure of a ground program: each derived atom as an SDD over the choice variables.

The program is read bottom-up by strongly connected components of its dependency graph.
Negation may only reach a lower component (stratification); a component with positive
recursion (e.g. reachability on a cyclic graph) has its cycles broken while it is unfolded
(:class:`_CycleBreaker`), so that every atom is compiled once per context, not iterated.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import NamedTuple

from pysdd.sdd import SddManager, SddNode

from nesy.errors import CompileError
from nesy.ground.program import GroundProgram, GroundRule, GroundWeightRule
from nesy.infer.components import components_dependencies_first

__all__ = ["Relevant", "relevant_atoms", "atom_formulas", "exactly_one", "ASP_HINT"]

ASP_HINT = (
    "the exact backend needs exactly one stable model per total choice; "
    "use the ASP backend (--backend asp) for this program"
)

_Rule = GroundRule | GroundWeightRule


def _body_atoms(rule: _Rule) -> Iterable[int]:
    if isinstance(rule, GroundRule):
        return (abs(lit) for lit in rule.body)
    return (abs(lit) for lit, _ in rule.body)


def _all_rules(ground: GroundProgram) -> tuple[_Rule, ...]:
    """The ground program's rules, then its weight rules."""
    return ground.rules + ground.weight_rules


def _is_declaration(rule: _Rule, ground: GroundProgram) -> bool:
    """A choice rule over choice atoms declares choice variables; it derives nothing."""
    if not rule.choice:
        return False
    return all(atom in ground.choices for atom in rule.head)


def _name(ground: GroundProgram, atom: int) -> str:
    symbol = ground.symbols.get(atom)
    return str(symbol) if symbol is not None else f"<auxiliary atom {atom}>"


def _rules_by_head(ground: GroundProgram) -> dict[int, list[_Rule]]:
    by_head: dict[int, list[_Rule]] = {}
    for rule in _all_rules(ground):
        if _is_declaration(rule, ground):
            continue
        if rule.choice:
            names = ", ".join(_name(ground, a) for a in rule.head)
            raise CompileError(f"choice rule over {{{names}}}: {ASP_HINT}")
        if not rule.head:
            raise CompileError(f"integrity constraint in the ground program: {ASP_HINT}")
        if len(rule.head) > 1:
            names = " | ".join(_name(ground, a) for a in rule.head)
            raise CompileError(f"disjunctive rule {names}: {ASP_HINT}")
        by_head.setdefault(rule.head[0], []).append(rule)
    return by_head


def _any_rules_by_head(ground: GroundProgram) -> dict[int, list[_Rule]]:
    """Every rule under each of its heads, declarations and choices too (for dependencies;
    :func:`_rules_by_head` is the checked map that formulas are built from)."""
    by_head: dict[int, list[_Rule]] = {}
    for rule in _all_rules(ground):
        for head in rule.head:
            by_head.setdefault(head, []).append(rule)
    return by_head


class Relevant(NamedTuple):
    """The part of a ground program that some roots depend on."""

    atoms: set[int]
    order: list[int]  # the atoms depth first from the roots: the compiler's variable order


def relevant_atoms(ground: GroundProgram, roots: Iterable[int]) -> Relevant:
    """Atoms the roots depend on, and a depth-first order of them (roots' first dependencies
    first), which the compiler turns into the variable order.

    The atoms without rules (choices) of all of an atom's rules are listed together, before
    the search goes deeper: in a chain such as an HMM (``w(s,T) :- c1(T), w(s,T-1).
    w(s,T) :- c2(T), w(r,T-1).``) the two choices of step T then stay neighbours, where a plain
    depth-first order put ``c2(T)`` after every earlier step and made the SDDs exponential.
    """
    by_head = _any_rules_by_head(ground)
    seen: set[int] = set()
    order: list[int] = []

    def visit(atom: int) -> None:
        seen.add(atom)
        order.append(atom)

    bodies: dict[int, list[int]] = {}  # each atom's, read once: the search asks again

    def below(atom: int) -> list[int]:
        found = bodies.get(atom)
        if found is None:
            found = bodies[atom] = [b for rule in by_head.get(atom, ()) for b in _body_atoms(rule)]
        return found

    def choices_under(atom: int) -> list[int]:
        """An atom's choices when it only names them (``h :- __nesy_ad(...)``), else []
        (a choice is an atom whose rules, if any, have empty bodies: clingo's choice rules)."""
        under = below(atom)
        return under if all(not below(b) for b in under) else []

    for root in roots:
        stack = [root]
        while stack:
            atom = stack.pop()
            if atom in seen:
                continue
            visit(atom)
            children = below(atom)
            for child in children:
                under = choices_under(child)
                if below(child) and not under:
                    continue  # a derived atom: the search reaches it in depth-first order
                for leaf in [child, *under]:
                    if leaf not in seen:
                        visit(leaf)
            stack.extend(reversed(children))
    return Relevant(seen, order)


def rule_crossings(
    ground: GroundProgram,
    relevant: set[int],
    variable_of: dict[int, int],
    blocks: list[tuple[int, ...]],
) -> list[int]:
    """For each cut between blocks, how many relevant rules touch blocks on both sides.

    A rule touches the blocks of the choice atoms in its body, also when an atom in between
    only renames one (``digit(X, 3) :- __nesy_nn(...)``), and the *home* blocks of the other
    derived atoms in its body (the blocks their own rules touch directly): one level of
    indirection is enough to see that ``result(I,D)`` lives in column I and that the carry
    into column I comes from column I - 1.
    """
    block_of = {var: b for b, block in enumerate(blocks) for var in block}
    # the rules with a relevant head, each with its body's atoms (read once: this runs on
    # every compilation, and small programs pay for it in full)
    rules = [
        (rule, list(_body_atoms(rule)))
        for rule in _all_rules(ground)
        if not relevant.isdisjoint(rule.head)
    ]
    bodies: dict[int, list[list[int]]] = {}
    for rule, body in rules:
        for head in rule.head:
            if head in relevant:
                bodies.setdefault(head, []).append(body)
    renamed = _renamed_blocks(bodies, {a: block_of[v] for a, v in variable_of.items()})
    nothing: set[int] = set()
    direct = [set().union(*[renamed.get(atom, nothing) for atom in body]) for _, body in rules]
    home: dict[int, set[int]] = {}
    for (rule, _), blocks_touched in zip(rules, direct, strict=True):
        for head in rule.head:
            home.setdefault(head, set()).update(blocks_touched)
    change = [0] * (len(blocks) + 1)
    for (_, body), blocks_touched in zip(rules, direct, strict=True):
        touched = set(blocks_touched)
        for atom in body:
            touched |= home.get(atom, nothing)
        if len(touched) > 1:
            change[min(touched) + 1] += 1
            change[max(touched) + 1] -= 1
    crossing, running = [], 0
    for step in change:
        running += step
        crossing.append(running)
    return crossing


def _renamed_blocks(
    bodies: dict[int, list[list[int]]], block: dict[int, int]
) -> dict[int, set[int]]:
    """The blocks each atom stands for: a choice atom its own; an atom all of whose rules have
    one body atom (a renaming) those of its bodies' atoms, followed through chains and cycles."""
    renames = {
        head: [body[0] for body in options]
        for head, options in bodies.items()
        if head not in block and all(len(body) == 1 for body in options)
    }
    nodes = dict.fromkeys(block)
    for head, targets in renames.items():
        nodes.update(dict.fromkeys([head, *targets]))
    found: dict[int, set[int]] = {}
    for members in components_dependencies_first(nodes, renames):  # targets before renamings
        here = {block[a] for a in members if a in block}
        for atom in members:
            for target in renames.get(atom, ()):
                if target not in members:
                    here |= found[target]
        for atom in members:
            found[atom] = here
    return found


def exactly_one(manager: SddManager, variables: tuple[int, ...]) -> SddNode:
    """Exactly one of ``variables`` is true, built in linear many apply calls."""
    none_after = manager.true()  # no variable from position k on is true
    one_after = manager.false()  # exactly one from position k on is true
    for var in reversed(variables):
        x = manager.literal(var)
        one_after = (x & none_after) | (~x & one_after)
        none_after = ~x & none_after
    return one_after


def _weight_formula(
    manager: SddManager, rule: GroundWeightRule, literal: dict[int, SddNode]
) -> SddNode:
    """``lower <= sum of weights of true literals``, by dynamic programming over partial sums."""
    items = [(literal[lit], weight) for lit, weight in rule.body]
    most = [0] * (len(items) + 1)  # largest/smallest sum the remaining literals can add
    least = [0] * (len(items) + 1)
    for i in range(len(items) - 1, -1, -1):
        most[i] = most[i + 1] + max(items[i][1], 0)
        least[i] = least[i + 1] + min(items[i][1], 0)

    def decided(i: int, total: int) -> SddNode | None:
        if total + least[i] >= rule.lower:
            return manager.true()
        if total + most[i] < rule.lower:
            return manager.false()
        return None

    totals: list[set[int]] = [{0}]  # partial sums still undecided before literal i
    for i, (_, weight) in enumerate(items):
        totals.append(
            {t + step for t in totals[i] if decided(i, t) is None for step in (weight, 0)}
        )
    after: dict[int, SddNode] = {}
    for i in range(len(items), -1, -1):
        here: dict[int, SddNode] = {}
        for total in totals[i]:
            known = decided(i, total)
            if known is None:
                node, weight = items[i]
                known = (node & after[total + weight]) | (~node & after[total])
            here[total] = known
        after = here
    return after[0]


def atom_formulas(
    manager: SddManager,
    ground: GroundProgram,
    choice_formula: dict[int, SddNode],
    relevant: set[int],
    roots: Iterable[int],
    budget: Callable[[], None] = lambda: None,
) -> dict[int, SddNode]:
    """An SDD for every relevant atom that the roots need (choice atoms map to their
    variable's literal); members of a recursive component get one only when a root or a
    higher component refers to them.

    Raises
    ------
    CompileError
        For choice rules, constraints, disjunctions or negation through recursion: programs
        whose total choices may have zero or several stable models.
    """
    by_head = _rules_by_head(ground)
    formula = dict(choice_formula)
    derived = [a for a in relevant if a not in formula]
    depends = {
        head: [b for rule in by_head.get(head, ()) for b in _body_atoms(rule) if b not in formula]
        for head in derived
    }
    wanted = set(roots)

    def literal(lit: int) -> SddNode:
        value = formula.get(abs(lit), manager.false())  # an atom without rules is false
        return value if lit > 0 else ~value

    components = components_dependencies_first(derived, depends)
    component_of = {atom: i for i, members in enumerate(components) for atom in members}
    # atoms that a root or a higher component refers to: within a recursive component only
    # these get a formula
    wanted |= {
        b for head in derived for b in depends[head] if component_of[b] != component_of[head]
    }
    for members in components:
        recursive = len(members) > 1 or members[0] in depends[members[0]]
        if not recursive:
            (atom,) = members
            formula[atom] = _disjunction(manager, by_head.get(atom, ()), literal, budget)
            continue
        member_set = set(members)
        _check_stratified(ground, by_head, member_set)
        needed = [atom for atom in members if atom in wanted]
        formula.update(_CycleBreaker(manager, by_head, member_set, literal, budget).solve(needed))
    return formula


def _disjunction(
    manager: SddManager,
    rules: Iterable[_Rule],
    literal: Callable[[int], SddNode],
    budget: Callable[[], None],
) -> SddNode:
    """The disjunction of the rules' bodies, given the value of every body literal."""
    result = manager.false()
    for rule in rules:
        if isinstance(rule, GroundRule):
            body = manager.true()
            for lit in rule.body:
                body = body & literal(lit)
        else:
            body = _weight_formula(manager, rule, {lit: literal(lit) for lit, _ in rule.body})
        result = result | body
        budget()  # raises once the compilation outgrows its budget
    return result


_Unfolded = tuple[SddNode, frozenset[int], frozenset[int]]  # value, atoms cut, atoms unfolded


class _CycleBreaker:
    """The atoms of one recursive component as SDDs, without iterating a fixpoint.

    As ProbLog does (``problog.cycles``), each needed atom is unfolded depth first along its
    rules, and an atom met again on the current path counts as false there: a derivation
    that goes round a cycle can always be shortened, so the unfolded formula has the atom's
    least-model value. An unfolded atom's value is kept with the path atoms it cut (``hit``)
    and the atoms it unfolded (``content``), and reused under a later path exactly when it
    would come out the same there: the path holds every atom it cut and none it unfolded.
    (Reusing it under any path that holds the atoms it cut is also correct, by monotonicity,
    but mixes values of different paths: on a 50-node random graph the intermediate SDDs
    then grew 100 times larger.)
    """

    def __init__(
        self,
        manager: SddManager,
        by_head: dict[int, list[_Rule]],
        members: set[int],
        literal: Callable[[int], SddNode],
        budget: Callable[[], None],
    ) -> None:
        self.manager = manager
        self.by_head = by_head
        self.members = members
        self.outside = literal  # values of lower components
        self.budget = budget
        self.known: dict[int, list[_Unfolded]] = {}

    def solve(self, needed: Iterable[int]) -> dict[int, SddNode]:
        return {atom: self._unfold(atom) for atom in needed}

    def _reuse(self, atom: int, path: set[int]) -> _Unfolded | None:
        if atom in path:
            return self.manager.false(), frozenset((atom,)), frozenset()
        for found in self.known.get(atom, ()):
            if found[1] <= path and path.isdisjoint(found[2]):
                return found
        return None

    def _unfold(self, root: int) -> SddNode:
        # An explicit stack of generators, one per atom on the path: components can be far
        # deeper than Python's recursion limit.
        path: set[int] = {root}
        stack = [(root, self._atom(root))]
        sent: _Unfolded | None = None
        while True:
            atom, frame = stack[-1]
            try:
                child = frame.send(sent)
            except StopIteration as done:
                stack.pop()
                path.discard(atom)
                sent = done.value
                if not stack:
                    return sent[0]
                continue
            sent = self._reuse(child, path)
            if sent is None:
                path.add(child)
                stack.append((child, self._atom(child)))

    def _atom(self, atom: int) -> Generator[int, _Unfolded | None, _Unfolded]:
        """Yields each recursive body atom, is sent its (value, hit, content) back; returns
        the atom's and records it."""
        hit: set[int] = set()
        content: set[int] = set()
        values: dict[int, SddNode] = {}

        def value(lit: int) -> SddNode:
            return values[lit] if lit in values else self.outside(lit)

        result = self.manager.false()
        for rule in self.by_head.get(atom, ()):
            body = self.manager.true()
            literals = rule.body if isinstance(rule, GroundRule) else [lit for lit, _ in rule.body]
            for lit in literals:
                if lit > 0 and lit in self.members:
                    unfolded = yield lit
                    assert unfolded is not None  # only a new frame's first send is None
                    values[lit], child_hit, child_content = unfolded
                    hit |= child_hit
                    if lit not in child_hit:
                        content |= child_content | {lit}
                if isinstance(rule, GroundRule):
                    body = body & value(lit)
                    if body.is_false():
                        break
            if isinstance(rule, GroundWeightRule):
                body = _weight_formula(self.manager, rule, {lit: value(lit) for lit in literals})
            result = result | body
            self.budget()  # raises once the compilation outgrows its budget
        hit.discard(atom)
        found = (result, frozenset(hit), frozenset(content - hit))
        self.known.setdefault(atom, []).append(found)
        return found


def _check_stratified(
    ground: GroundProgram, by_head: dict[int, list[_Rule]], members: set[int]
) -> None:
    for atom in members:
        for rule in by_head.get(atom, ()):
            literals = rule.body if isinstance(rule, GroundRule) else [lit for lit, _ in rule.body]
            for lit in literals:
                if lit < 0 and -lit in members:
                    raise CompileError(
                        f"{_name(ground, atom)} depends negatively on {_name(ground, -lit)} "
                        f"through recursion (not stratified): {ASP_HINT}"
                    )
