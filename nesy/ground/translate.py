"""Translate the Program IR into clingo input.

Probabilistic and neural statements become *free* choices over reserved atoms, one per ground
instance, that carry enough to recover what they stand for:

- ``p::h :- body.`` (statement k) becomes ``{__nesy_pf(k,h,Key)} :- body.`` and
  ``h :- __nesy_pf(k,h,Key), body.``; ``Key`` is the tuple of the rule's variables, so every
  ground instance of the rule is an independent choice, as in ProbLog. An interval or pool in
  a head is named by a variable first (``0.5::a(1..3).`` is ``0.5::a(I) :- I = 1..3.``):
  clingo would otherwise expand it in the head and in the choice separately, and ``a(1)``
  would follow from the choice of ``a(2)`` too.
- ``p1::h1; p2::h2 :- body.`` becomes ``{__nesy_ad(k,Key,i,h_i) : ...} :- body.`` plus one rule
  per head; at most one alternative per instance holds (the compiler adds that constraint).
- ``nn(net,[X],Y,D) :: a.`` becomes
  ``{__nesy_nn(k,(X,),Y,a) : __nesy_dom(k,Y)} :- __nesy_input(k,(X,)).`` and
  ``a :- __nesy_nn(k,(X,),Y,a).``; exactly one value per input holds (compiler constraint).
  Inputs are the ground ``tensor(...)`` terms written anywhere in the program or its queries,
  and every input a rule asks for where its other positive literals bind it: a body literal
  ``digit(tensor(a(I)), A)`` next to ``column(I)`` gives ``__nesy_input(k,(tensor(a(I)),)) :-
  column(I).``, so a program can name its inputs with variables.

The cardinality constraints are left to the compiler on purpose: the observer then sees only
rules the user wrote, so any remaining choice rule or constraint is the user's.

The statement number ``k`` in a reserved atom stays inside grounding: :func:`read_choices` turns
the ground reserved atoms back into the table of choices (:mod:`nesy.ground.choices`) that
compilation reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

import clingo

from nesy.ground.choices import ChoiceTable, ChoiceTableBuilder, FactChoice, group_choice
from nesy.lang import ir

__all__ = [
    "PF",
    "AD",
    "NN",
    "DOM",
    "TENSOR",
    "INPUT",
    "ON",
    "to_clingo",
    "choice_activations",
    "tensor_terms",
    "rule_variables",
    "clingo_lines",
    "read_choices",
]

PF = "__nesy_pf"
AD = "__nesy_ad"
NN = "__nesy_nn"
DOM = "__nesy_dom"
TENSOR = "__nesy_tensor"
INPUT = "__nesy_input"
ON = "__nesy_on"


def _variables(nodes: tuple[object, ...]) -> list[str]:
    """Named variables in order of first occurrence (``_`` and ``_X`` are local, skipped)."""
    seen: dict[str, None] = {}
    for node in nodes:
        for var in ir.variables(node):
            if not var.name.startswith("_"):
                seen.setdefault(var.name, None)
    return list(seen)


def rule_variables(head: tuple[ir.Atom, ...], body: tuple[ir.BodyItem, ...]) -> list[str]:
    """Global variables of a rule: those of its heads and of its non-aggregate body items."""
    return _variables((*head, *(b for b in body if not isinstance(b, ir.Aggregate))))


def _key(variables: list[str]) -> str:
    """Render terms as a clingo tuple; a 1-tuple needs its trailing comma."""
    if len(variables) == 1:
        return f"({variables[0]},)"
    return "(" + ",".join(variables) + ")"


def _body(body: tuple[ir.BodyItem, ...]) -> str:
    return ",".join(str(b) for b in body)


def _rule(head: str, body: str) -> str:
    return f"{head}:-{body}." if body else f"{head}."


def tensor_terms(program: ir.Program) -> list[str]:
    """Ground ``tensor(...)`` terms written anywhere in the program, rendered, in order."""
    found: dict[str, None] = {}
    for statement in program.statements:
        for node in ir.walk(_statement_terms(statement)):
            is_tensor = isinstance(node, ir.Func) and node.name == "tensor" and len(node.args) == 1
            if is_tensor and not _variables((node,)):
                found.setdefault(str(node), None)
    return list(found)


def _statement_terms(statement: ir.Statement) -> ir.Func:
    """Bundle a statement's atoms into one term, so that one walk visits them all."""
    atoms: list[object] = []
    if isinstance(statement, ir.Rule | ir.ProbFact):
        atoms.append(statement.head if isinstance(statement, ir.Rule) else statement.atom)
    if isinstance(statement, ir.AnnotatedDisjunction):
        atoms.extend(atom for _, atom in statement.heads)
    if isinstance(statement, ir.Query | ir.Evidence):
        atoms.append(statement.atom)
    body = getattr(statement, "body", ())
    atoms.extend(b for b in body if not isinstance(b, ir.Aggregate))
    return ir.Func("", tuple(atoms))  # type: ignore[arg-type]


def _translate(index: int, statement: ir.Statement) -> list[str]:
    if isinstance(statement, ir.Rule | ir.Constraint | ir.ChoiceRule | ir.ConstDef | ir.Defined):
        return [str(statement)]
    if isinstance(statement, ir.ProbFact):
        (head,), items = _instances(statement, (statement.atom,))
        key = _key(rule_variables((head,), items))
        choice = f"{PF}({index},{head},{key})"
        body = _body(items)
        return [
            _rule(f"{{{choice}}}", body),
            _rule(str(head), ",".join(filter(None, (choice, body)))),
        ]
    if isinstance(statement, ir.AnnotatedDisjunction):
        heads, items = _instances(statement, tuple(atom for _, atom in statement.heads))
        key = _key(rule_variables(heads, items))
        choices = [f"{AD}({index},{key},{i},{atom})" for i, atom in enumerate(heads)]
        body = _body(items)
        lines = [_rule("{" + ";".join(choices) + "}", body)]
        lines += [
            _rule(str(atom), ",".join(filter(None, (choice, body))))
            for atom, choice in zip(heads, choices, strict=True)
        ]
        return lines
    if isinstance(statement, ir.NeuralPredicate):
        inputs = _key([v.name for v in statement.inputs])
        y = statement.output.name
        choice = f"{NN}({index},{inputs},{y},{statement.atom})"
        domain = [f"{DOM}({index},{value})." for value in statement.domain]
        tensors = ",".join(f"{TENSOR}({v.name})" for v in statement.inputs)
        return [
            *domain,
            f"{INPUT}({index},{inputs}):-{tensors}.",
            f"{{{choice}:{DOM}({index},{y})}}:-{INPUT}({index},{inputs}).",
            f"{statement.atom}:-{choice}.",
        ]
    return []  # queries, evidence and #show steer the engine, not the grounder


def _names(node: object) -> Iterator[str]:
    """Every variable name anywhere in ``node`` (aggregates' local variables included)."""
    if isinstance(node, ir.Var):
        yield node.name
    elif isinstance(node, tuple):
        for item in node:
            yield from _names(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, ir.Span):
        for f in dataclasses.fields(node):
            yield from _names(getattr(node, f.name))


def _instances(
    statement: ir.ProbFact | ir.AnnotatedDisjunction, heads: tuple[ir.Atom, ...]
) -> tuple[tuple[ir.Atom, ...], tuple[ir.BodyItem, ...]]:
    """``heads``, each interval and pool in them replaced by a fresh variable, and the
    statement's body with a comparison that ranges each variable over what it replaced:
    ``a(1..2)`` becomes ``a(I)`` and ``I = 1..2``, so that each ground instance is one choice
    that makes one atom true."""
    used = set(_names(statement))
    ranges: list[ir.Comparison] = []

    def fresh(term: ir.Interval | ir.Pool) -> ir.Var:
        name = f"Nesy{len(ranges)}"
        while name in used:
            name += "'"
        used.add(name)
        ranges.append(ir.Comparison("=", ir.Var(name, term.span), term, term.span))
        return ir.Var(name, term.span)

    def name(term: ir.Term) -> ir.Term:
        if isinstance(term, ir.Interval | ir.Pool):
            return fresh(term)
        if isinstance(term, ir.Func):
            return ir.Func(term.name, tuple(name(a) for a in term.args), term.span)
        if isinstance(term, ir.BinOp):
            return ir.BinOp(term.op, name(term.left), name(term.right), term.span)
        if isinstance(term, ir.UnaryMinus | ir.Abs):
            return type(term)(name(term.arg), term.span)
        return term

    named = tuple(
        ir.Atom(atom.predicate, tuple(name(a) for a in atom.args), atom.span) for atom in heads
    )
    return named, (*statement.body, *ranges)


def _input_domains(program: ir.Program) -> list[tuple[str, ir.Span]]:
    """``__nesy_input(k, Inputs) :- Binders.`` for every neural literal in a rule body whose
    inputs the rule's other positive, non-neural literals bind (with the rule's span)."""
    neural = {
        s.atom.signature: (k, s)
        for k, s in enumerate(program.statements)
        if isinstance(s, ir.NeuralPredicate)
    }
    lines = []
    for statement in program.statements:
        body = getattr(statement, "body", ())
        literals = [b for b in body if isinstance(b, ir.Literal)]
        binders = [b for b in literals if not b.negated and b.atom.signature not in neural]
        bound = set(_variables(tuple(binders)))
        for literal in literals:
            if literal.atom.signature not in neural:
                continue
            index, declaration = neural[literal.atom.signature]
            where = [declaration.atom.args.index(v) for v in declaration.inputs]
            inputs = tuple(literal.atom.args[i] for i in where)
            if set(_variables(inputs)) <= bound:
                key = _key([str(t) for t in inputs])
                line = _rule(f"{INPUT}({index},{key})", _body(tuple(binders)))
                lines.append((line, statement.span))
    return lines


def clingo_lines(
    program: ir.Program, extra_tensors: tuple[str, ...] = ()
) -> list[tuple[str, ir.Span | None]]:
    """The lines of :func:`to_clingo`, each with the span of the statement it comes from
    (``None`` for the input facts): clingo's messages name lines of its input."""
    terms = dict.fromkeys((*tensor_terms(program), *extra_tensors))
    lines: list[tuple[str, ir.Span | None]] = [(f"{TENSOR}({t}).", None) for t in terms]
    lines += _input_domains(program)
    for index, statement in enumerate(program.statements):
        lines.extend((line, statement.span) for line in _translate(index, statement))
    return lines


def to_clingo(program: ir.Program, extra_tensors: tuple[str, ...] = ()) -> str:
    """Render ``program`` as clingo input, with one ``__nesy_tensor`` fact per input term."""
    return "".join(line + "\n" for line, _ in clingo_lines(program, extra_tensors))


def choice_activations(program: ir.Program) -> str:
    """``__nesy_on(k,h,Key) :- body.`` for every probabilistic fact instance and
    ``__nesy_on(k,Key) :- body.`` for every annotated disjunction instance: where its choice is
    offered. A backend that counts stable models needs it: a choice whose body fails is false in
    every model, yet both of its values are total choices that lead there."""
    lines = []
    for index, statement in enumerate(program.statements):
        if isinstance(statement, ir.ProbFact):
            (head,), items = _instances(statement, (statement.atom,))
            key = _key(rule_variables((head,), items))
            lines.append(_rule(f"{ON}({index},{head},{key})", _body(items)))
        elif isinstance(statement, ir.AnnotatedDisjunction):
            heads, items = _instances(statement, tuple(atom for _, atom in statement.heads))
            key = _key(rule_variables(heads, items))
            lines.append(_rule(f"{ON}({index},{key})", _body(items)))
    return "\n".join(lines) + "\n"


def read_choices(
    program: ir.Program, ground_atoms: Mapping[str, Mapping[int, clingo.Symbol]]
) -> ChoiceTable:
    """The choices behind the ground reserved atoms of ``program``'s translation.

    ``ground_atoms`` maps :data:`PF`, :data:`AD` and :data:`NN` to the ground atoms of that
    name (atom -> symbol). Instances of one annotated disjunction or neural predicate that share
    their key (the rule's variables; the network's inputs) form one group.
    """
    table = ChoiceTableBuilder()
    for atom, symbol in ground_atoms.get(PF, {}).items():  # __nesy_pf(k, head, key)
        statement = program.statements[symbol.arguments[0].number]
        assert isinstance(statement, ir.ProbFact)
        head = symbol.arguments[1]
        table.fact(FactChoice(atom, head, statement.probability, statement.span))
    members: dict[tuple[int, clingo.Symbol], dict[str, tuple[int, clingo.Symbol]]] = {}
    for name in (AD, NN):  # __nesy_ad(k, key, i, head), __nesy_nn(k, inputs, y, head)
        for atom, symbol in ground_atoms.get(name, {}).items():
            k, key, value, head = symbol.arguments
            members.setdefault((k.number, key), {})[str(value)] = (atom, head)
    for (index, key), values in members.items():
        statement = program.statements[index]
        assert isinstance(statement, ir.AnnotatedDisjunction | ir.NeuralPredicate)
        table.group(group_choice(statement, values, key.arguments))
    return table.build()
