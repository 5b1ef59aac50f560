"""Top-down grounding of ProbLog programs: the relevant ground program of their queries.

ProbLog grounds a program from its queries and evidence down, like Prolog, so that
non-ground probabilistic facts, lists, arithmetic and built-ins such as ``findall/3`` work as a
ProbLog user expects. This module does the same, then hands a propositional program in nesy's IR
to the exact inference layer that every other program goes through.

How it grounds (tabled, to a fixpoint):

- Every call of a user predicate is *tabled* by its variant. A table holds the call's answers,
  each marked *certain* (provable without a probabilistic choice) or not.
- A pass solves every query and evidence goal top-down. A call made a second time in the pass,
  or while it is still being solved (recursion), reads its table as it stands. Passes repeat
  until no table changes; the last pass, which read only complete tables, records the ground
  program: for every uncertain ground atom, the bodies (lists of ground literals over uncertain
  atoms and probabilistic choices) that derive it. Certain atoms drop out of bodies.
- ``\\+ G`` becomes a literal ``not aux`` with ``aux`` derived by each proof of ``G`` (fails if
  ``G`` is certain, holds if ``G`` has no proof). ``findall/3`` and ``aggregate_all/3`` over a
  probabilistic goal yield one result per subset of its uncertain solutions, conditioned on
  exactly that subset being true, as ProbLog does.
- Probabilistic clauses ``p::h :- b`` give one independent choice per ground instance of the
  clause; annotated disjunctions one group of choices per instance.

What it cannot ground is an error naming the construct: cut, ``assert``, an unknown predicate
(ProbLog's ``UnknownClause``), a probabilistic clause with a non-ground instance, an if-then-else
on a probabilistic condition, a recursion that does not end.
"""

from __future__ import annotations

import functools
import importlib.resources
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from nesy.errors import GroundingError, NesyError, NesyTypeError
from nesy.ground.arith import Number, evaluate
from nesy.ground.builtins import BUILTINS, LIBRARY_OF
from nesy.ground.clause_index import FirstArgumentIndex
from nesy.ground.unify import Env, instantiate, is_ground, rename, resolve, unify, variant, walk
from nesy.lang import ir
from nesy.lang.ir import Span
from nesy.lang.prolog import Clause, Directive, PrologProgram, parse_prolog, parse_prolog_file
from nesy.lang.prolog_term import (
    NIL,
    TRUE,
    Struct,
    Term,
    Var,
    list_items,
    make_list,
    number,
    render,
    render_answer,
)

__all__ = ["GroundProblog", "ground_problog"]

T = TypeVar("T")

Lit = tuple[int, bool]  # (atom id, positive)
#: the literals one proof rests on
Proof = tuple[Lit, ...]
#: each answer of a goal with the atom that holds exactly when it does (None: certain;
#: -1: a query without proof)
Answers = list[tuple[Term, int | None]]
#: an aggregate_all/3 function: the value of the collected items (None: it fails)
Aggregate = Callable[[list[Term], Env], Term | None]

#: how deep calls may nest before the recursion is called unbounded
MAX_DEPTH = 3_000
#: how many ground atoms (tabled answers) a program may have
MAX_ATOMS = 2_000_000
#: how many answers one call may have
MAX_ANSWERS = 200_000
#: how many uncertain solutions one findall/3 may range over (2^n results)
MAX_FINDALL = 12

#: libraries written in Prolog (nesy/ground/<name>.pl), loaded by use_module as in ProbLog
_PROLOG_LIBRARIES = ("lists", "apply")
#: libraries whose predicates nesy has built in or does not need: use_module of them is a no-op
_BUILT_IN_LIBRARIES = {"aggregate", "between", "apply_macros", "sort"}
_IGNORED_DIRECTIVES = {"discontiguous", "table", "style_check"}
_UNSUPPORTED = {
    ("!", 0): "cut (!)",
    ("assert", 1): "assert/1",
    ("asserta", 1): "asserta/1",
    ("assertz", 1): "assertz/1",
    ("retract", 1): "retract/1",
    ("retractall", 1): "retractall/1",
    ("nb_setval", 2): "nb_setval/2",
    ("b_setval", 2): "b_setval/2",
    ("nb_getval", 2): "nb_getval/2",
    ("subquery", 2): "subquery/2",
    ("subquery", 3): "subquery/3",
    ("try_call", 1): "try_call/1",
    ("call_cleanup", 2): "call_cleanup/2",
    ("catch", 3): "catch/3",
    ("bagof", 3): "bagof/3",
    ("setof", 3): "setof/3",
    # ProbLog 2.3 built-ins for reflection, scopes and sampling
    **{
        (name, arity): f"ProbLog's built-in {name}/{arity}"
        for name, arity in (
            ("clause", 2),
            ("clause", 3),
            ("call_nc", 1),
            ("all_or_none", 3),
            ("cmd_args", 1),
            ("numbervars", 2),
            ("numbervars", 3),
            ("varnumbers", 2),
            ("subsumes_chk", 2),
            ("subsumes_term", 2),
            ("possible", 1),
            ("nocache", 2),
            ("dbreference", 1),
            ("primitive", 1),
            ("rational", 1),
            ("sample_uniform1", 3),
            ("simple", 1),
            ("create_scope", 2),
            ("find_scope", 2),
            ("call_in_scope", 2),
            ("subquery", 5),
            ("subquery_in_scope", 3),
            ("subquery_in_scope", 4),
            ("subquery_in_scope", 6),
            ("call_external", 2),
            ("load_external", 1),
        )
    },
}


@dataclass
class GroundProblog:
    """A ProbLog program grounded for its queries.

    ``program`` is a propositional nesy program (atoms ``a<id>``) whose queries are the
    uncertain answers; ``names`` maps each ``a<id>`` to ProbLog's text for the atom;
    ``fixed`` holds the answers decided while grounding (certain: 1.0; no proof: 0.0).
    ``order`` lists every answer in the order ProbLog reports them.
    """

    program: ir.Program
    names: dict[str, str]
    fixed: dict[str, float]
    order: list[str] = field(default_factory=list)
    impossible_evidence: str | None = None
    #: answers of non-ground queries, reported only when possible (ProbLog lists the answers
    #: it finds; nesy's findall/3 also grounds lists that no world makes true)
    optional: set[str] = field(default_factory=set)


def ground_problog(source: PrologProgram | str | Path, max_seconds: float = 600.0) -> GroundProblog:
    """Ground a ProbLog program (text, a parsed program, or a file path) for its queries."""
    if isinstance(source, Path):
        program = parse_prolog_file(source)
    elif isinstance(source, str):
        program = parse_prolog(source)
    else:
        program = source
    grounder = _Grounder(program, max_seconds)
    return _deep(grounder.run)


@functools.cache
def _library_clauses(library: str) -> tuple[Clause, ...]:
    path = importlib.resources.files("nesy.ground").joinpath(f"{library}.pl")
    statements = parse_prolog(path.read_text("utf-8"), f"<library({library})>").statements
    clauses = tuple(s for s in statements if isinstance(s, Clause))
    assert len(clauses) == len(statements), "a library holds clauses, no directives"
    return clauses


def _library_of(signature: tuple[str, int]) -> str | None:
    """The library that defines ``signature`` (built in or in Prolog), if any."""
    if signature in LIBRARY_OF:
        return LIBRARY_OF[signature]
    for library in _PROLOG_LIBRARIES:
        if any(s.heads[0][1].signature == signature for s in _library_clauses(library)):
            return library
    return None


def _deep(function: Callable[[], T]) -> T:
    """Run ``function`` on a thread with a large stack: a deep recursion in the program is
    a deep recursion here, and must end in nesy's error, not in a crash of the interpreter."""
    values: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            values.append(function())
        except BaseException as exc:  # handed to the calling thread
            errors.append(exc)

    limit = sys.getrecursionlimit()
    previous = threading.stack_size(512 * 1024 * 1024)
    sys.setrecursionlimit(max(limit, 60_000))
    try:
        thread = threading.Thread(target=target, name="nesy-ground", daemon=True)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(previous)
        sys.setrecursionlimit(limit)
    if errors:
        raise errors[0]
    return values[0]


class _Fault(NesyTypeError):
    """An error raised deep in the grounder; the clause being solved gives it a position."""


@dataclass
class _Group:
    """The choices of one ground instance of a probabilistic clause."""

    alternatives: list[tuple[float, int]]  # (probability, choice atom id)


class _Grounder:
    def __init__(self, program: PrologProgram, max_seconds: float):
        self.program = program
        self.deadline = time.perf_counter() + max_seconds
        self.max_seconds = max_seconds
        self.clauses: dict[tuple[str, int], list[tuple[int, Clause]]] = defaultdict(list)
        self.index = FirstArgumentIndex()  # the clauses a call may match
        self.directive_spans: dict[tuple[str, int], dict[Term, Span]] = {}  # query/evidence
        self.declared: set[tuple[str, int]] = set()
        self.libraries: set[str] = set()  # loaded by use_module
        self.loaded: set[Path] = set()
        self.clause_list: list[Clause] = []
        self.unknown_fails = False  # `:- unknown(fail).`: an unknown predicate fails
        self.choice_group: dict[int, _Group] = {}
        self._load(program)
        self._load_libraries()
        # persistent across passes
        self.tables: dict[Term, dict[Term, bool]] = {}  # call variant -> answer -> certain
        self.found: dict[Term, list[Term]] = {}  # call variant -> its answers, in order found
        self.atom_ids: dict[Term, int] = {}
        self.atom_terms: list[Term] = []
        self.groups: dict[tuple[int, tuple[Term, ...]], _Group] = {}  # (clause, instance)
        self.single: dict[int, float] = {}  # choice id -> probability (one-head clauses)
        self.goals: dict[Term, Struct] = {}  # call variant -> the call, to solve it again
        self.clause_has_variables: dict[int, bool] = {}  # clause index -> renamed when used
        # per pass
        self.stale = False  # a read no re-evaluation repeats saw a table before it grew
        self.visited: set[Term] = set()
        self.readers: dict[Term, set[Term | None]] = {}  # table -> calls that read it all
        self.dirty: dict[Term, None] = {}  # finished calls to solve again (a read table grew)
        self.dirty_active: set[Term] = set()  # calls being solved, to solve again
        self.read_from: set[Term] = set()  # tables a read began on
        self.closed = 0  # how many \+, if-then-else or findall are being solved
        self.closed_reads: set[Term] = set()  # tables read all within one of them
        self.rules: dict[int, set[tuple[Lit, ...]]] = defaultdict(set)
        self.depth = 0
        self.where: list[Span] = []
        self.active: dict[Term, int] = {}  # calls being solved -> how deep in that stack
        self.collect_floor = -1  # calls below this depth are outside the current findall

    # --- the database ----------------------------------------------------------------------

    def _load(self, program: PrologProgram) -> None:
        for statement in program.statements:
            if isinstance(statement, Directive):
                self._directive(statement, program)
                continue
            for _, head in statement.heads:
                if head.name == "\\+" and len(head.args) == 1:
                    raise NesyTypeError(
                        f"negative head literals ({render(head)} :- ...) are not supported by "
                        "nesy's ProbLog dialect",
                        statement.span,
                        program.text,
                    )
            index = len(self.clause_list)
            self.clause_list.append(statement)
            for signature in dict.fromkeys(head.signature for _, head in statement.heads):
                self.clauses[signature].append((index, statement))

    def _load_libraries(self) -> None:
        user = set(self.clauses)
        for library in sorted(self.libraries):
            for statement in _library_clauses(library):
                signature = statement.heads[0][1].signature
                if signature not in user:
                    self.clauses[signature].append((len(self.clause_list), statement))
                    self.clause_list.append(statement)

    def _sees(self, signature: tuple[str, int]) -> bool:
        """Whether a built-in is visible: those of a library only once it is loaded."""
        return LIBRARY_OF.get(signature, "") in ("", *self.libraries)

    def _directive(self, directive: Directive, program: PrologProgram) -> None:
        goal = directive.goal

        def error(message: str) -> NesyTypeError:
            return NesyTypeError(message, directive.span, program.text)

        if not isinstance(goal, Struct):
            raise error(f"a directive must be a goal, not {render(goal)}")
        name, args = goal.name, goal.args
        if name == "use_module" and args:
            library = args[0]
            library_name = (
                library.args[0].name
                if isinstance(library, Struct)
                and library.name == "library"
                and len(library.args) == 1
                and isinstance(library.args[0], Struct)
                else None
            )
            if library_name in _PROLOG_LIBRARIES:
                self.libraries.add(library_name)
                return
            if library_name in _BUILT_IN_LIBRARIES:
                return
            raise error(
                f"use_module({render(library)}): nesy's ProbLog dialect has library(lists) "
                "and library(apply), and no other library"
            )
        if name in ("consult", "include", "ensure_loaded") and len(args) == 1:
            for item in list_items(args[0])[0] if _is_list(args[0]) else args:
                self._consult(item, program, error)
            return
        if name == "." and len(args) == 2:  # `:- [file].`
            for item in list_items(goal)[0]:
                self._consult(item, program, error)
            return
        if name == "dynamic" and len(args) == 1:
            for spec in _conjuncts(args[0]):
                if not (
                    isinstance(spec, Struct)
                    and spec.name == "/"
                    and isinstance(spec.args[0], Struct)
                    and isinstance(spec.args[1], int)
                ):
                    raise error(f"dynamic/1 expects name/arity, not {render(spec)}")
                self.declared.add((spec.args[0].name, spec.args[1]))
            return
        if name == "unknown" and len(args) == 1 and args[0] in (Struct("fail"), Struct("error")):
            self.unknown_fails = args[0] == Struct("fail")
            return
        if name in _IGNORED_DIRECTIVES:
            return  # layout and tabling hints: every predicate is tabled here anyway
        raise error(
            f"the directive ':- {render(goal)}' is not supported by nesy's ProbLog dialect "
            "(it knows use_module(library(lists|apply)), consult/1, dynamic/1, discontiguous/1)"
        )

    def _consult(
        self, item: Term, program: PrologProgram, error: Callable[[str], NesyTypeError]
    ) -> None:
        if not (isinstance(item, Struct) and not item.args):
            raise error(f"consult/1 expects a file name, not {render(item)}")
        base = Path(program.source).parent
        path = (base / item.name).resolve()
        if not path.exists() and path.with_suffix(".pl").exists():
            path = path.with_suffix(".pl")
        if path in self.loaded:
            return
        if not path.is_file():
            raise error(f"consult: no file {item.name!r} beside {program.source}")
        self.loaded.add(path)
        self._load(parse_prolog_file(path))

    # --- results ---------------------------------------------------------------------------

    def run(self) -> GroundProblog:
        # Tables persist from pass to pass. Within a pass, a call that read a table to its
        # end before the table grew is solved again (the rules of a positive read only gain
        # proofs), so a recursion completes in one pass; only a read whose result may shrink
        # with more answers (under \+, findall/3, an if-then-else condition; an answer that
        # became certain after it was read as uncertain) or a query's own read needs another
        # pass, which starts the rules afresh from the tables as they stand.
        while True:
            self.stale = False
            self.visited = set()
            self.readers = {}
            self.read_from = set()
            self.closed_reads = set()
            self.rules = defaultdict(set)
            queries, evidence = self._roots()
            if not self.stale:
                return self._emit(queries, evidence)

    def _roots(self) -> tuple[list[tuple[Struct, Answers]], list[tuple[Struct, bool, Answers]]]:
        queries = []
        for term in self._directive_terms(Struct("query", (Var(),))):
            queries.append((term, self._at_clause_of(term, self._answers)))
        evidence = []
        for signature in (1, 2):
            template = Struct("evidence", tuple(Var() for _ in range(signature)))
            for term in self._directive_terms(template):
                evidence.append(self._at_clause_of(term, self._evidence))
        return queries, evidence

    def _at_clause_of(self, term: Struct, read: Callable[[Struct], T]) -> T:
        """``read(term)`` with errors placed at the query/evidence clause that gives ``term``."""
        spans = self.directive_spans.get(term.signature)
        if spans is None:  # ground directives by term: a scan per term is quadratic
            spans = self.directive_spans[term.signature] = {}
            for _, clause in self.clauses[term.signature]:
                for _, head in clause.heads:
                    if is_ground(head):
                        spans.setdefault(head, clause.span)
        self.where.append(
            spans.get(term)
            or next(
                clause.span
                for _, clause in self.clauses[term.signature]
                if any(unify(head, term, {}) is not None for _, head in clause.heads)
            )
        )
        try:
            return read(term)
        finally:
            self.where.pop()

    def _directive_terms(self, template: Struct) -> list[Struct]:
        """The instances of ``query(_)`` or ``evidence(...)``. They may be rules, as in ProbLog
        (``query(q(X)) :- d(X).``); as in ProbLog, every *possible* instance counts, whatever
        the probability of the body that gives it."""
        if template.signature not in self.clauses:
            return []
        terms = [answer for answer, _ in self._call(template)]
        # an answer of query(_) or evidence(...) is an instance of it
        return [term for term in terms if isinstance(term, Struct)]

    def _answers(self, query: Struct) -> Answers:
        goal = walk(query.args[0], {})
        if not isinstance(goal, Struct):
            raise self._fault(f"query({render(goal)}): a query must be an atom")
        return self._goal_answers(instantiate(goal))

    def _goal_answers(self, goal: Term) -> Answers:
        """Each answer of ``goal`` with the atom that holds exactly when it does (None when
        it is certain). A negated or compound query gets an atom of its own."""
        proofs: dict[Term, list[Proof]] = {}
        for env, lits in self._solve(goal, {}, ()):
            proofs.setdefault(variant(resolve(goal, env)), []).append(lits)
        answers: Answers = []
        for answer, bodies in proofs.items():
            if any(not body for body in bodies):
                answers.append((answer, None))
            elif not is_ground(answer):
                raise self._fault(
                    f"the query answer {render_answer(answer)} is not ground and not certain "
                    "(ProbLog's NonGroundQuery): its probability is not defined"
                )
            elif len(bodies) == 1 and len(bodies[0]) == 1 and bodies[0][0][1]:
                answers.append((answer, bodies[0][0][0]))
            else:
                answers.append((answer, self._aux("$query", answer, bodies)))
        return answers

    def _evidence(self, term: Struct) -> tuple[Struct, bool, Answers]:
        atom = term.args[0]
        value = True
        if len(term.args) == 2:
            flag = term.args[1]
            if flag not in (Struct("true"), Struct("false")):
                raise self._fault(f"{render(term)}: evidence is true or false")
            value = flag == Struct("true")
        if isinstance(atom, Struct) and atom.name == "\\+" and len(atom.args) == 1:
            atom, value = atom.args[0], not value
        if not (isinstance(atom, Struct) and is_ground(atom)):
            raise self._fault(f"{render(term)}: evidence must be a ground atom")
        return atom, value, self._goal_answers(atom)

    def _emit(
        self,
        queries: list[tuple[Struct, Answers]],
        evidence: list[tuple[Struct, bool, Answers]],
    ) -> GroundProblog:
        """The propositional program of the last pass, and how to name its answers."""
        statements: list[ir.Statement] = []
        used_choices: set[int] = set()
        # Rules in the order the search met their heads (atom ids are given as atoms are
        # first met): the compiler's variable order follows the rules, and this order kept
        # the SDDs smaller than clingo's component order did (grid 5x5: 12,021 nodes, not
        # 75,197; smokers 16: 65,181, not 81,677).
        for head in sorted(self.rules):
            for body in sorted(self.rules[head]):
                literals = []
                for atom, positive in body:
                    if atom in self.single or atom in self.choice_group:
                        used_choices.add(atom)
                    literals.append(ir.Literal(ir.Atom(f"a{atom}"), not positive))
                statements.append(ir.Rule(ir.Atom(f"a{head}"), tuple(literals)))
        for choice in sorted(used_choices & set(self.single)):
            statements.append(ir.ProbFact(self.single[choice], ir.Atom(f"a{choice}")))
        for group in self.groups.values():
            if any(choice in used_choices for _, choice in group.alternatives):
                heads = tuple((p, ir.Atom(f"a{c}")) for p, c in group.alternatives)
                statements.append(ir.AnnotatedDisjunction(heads))
        names: dict[str, str] = {}
        fixed: dict[str, float] = {}
        order: list[str] = []
        optional: set[str] = set()
        for query, answers in queries:
            if not answers:  # ProbLog reports a query without proof as probability 0
                answers = [(variant(query.args[0]), -1)]
            ground_query = is_ground(query.args[0])
            for answer, answer_atom in answers:
                text = render_answer(answer)
                order.append(text)
                if not ground_query and answer_atom is not None and answer_atom >= 0:
                    optional.add(text)
                if answer_atom is None:
                    fixed[text] = 1.0
                elif answer_atom < 0:
                    fixed.setdefault(text, 0.0)
                elif text not in fixed:
                    names[f"a{answer_atom}"] = text
                    statements.append(ir.Query(ir.Atom(f"a{answer_atom}")))
        impossible = None
        for observed, value, answers in evidence:
            certain = any(a is None for _, a in answers)
            if (not answers and value) or (certain and not value):
                impossible = render(observed)
            elif answers and not certain:
                statements.append(ir.Evidence(ir.Atom(f"a{answers[0][1]}"), value))
        order = list(dict.fromkeys(order))
        return GroundProblog(
            ir.Program(tuple(statements), self.program.source),
            names,
            fixed,
            order,
            impossible,
            optional,
        )

    # --- tables ----------------------------------------------------------------------------

    def _atom(self, term: Term) -> int:
        found = self.atom_ids.get(term)
        if found is None:
            if len(self.atom_ids) >= MAX_ATOMS:
                raise self._fault(
                    f"grounding stopped: over {MAX_ATOMS:,} ground atoms (the last: "
                    f"{render(term)}); an unbounded recursion over integers or terms?"
                )
            found = self.atom_ids[term] = len(self.atom_terms)
            self.atom_terms.append(term)
        return found

    def _call(self, goal: Struct) -> Iterator[tuple[Term, int | None]]:
        """The answers of ``goal``, each with its atom (None: certain). An answer's atom is
        the answer *within this call*, as in ProbLog: the same instance reached by two call
        patterns is two atoms with the same proofs in a pure program, and the same as
        ProbLog's where non-logical tests (``==``, ``var/1``) see unbound variables."""
        key = variant(goal)
        table = self.tables.get(key)
        if table is None:
            table = self.tables[key] = {}
            self.found[key] = []
            self.goals[key] = goal
        if key in self.active and self.active[key] < self.collect_floor:
            raise self._fault(
                f"{render(goal)} depends on itself through findall/3 or aggregate_all/3 "
                "(ProbLog's IndirectCallCycleError): the list of its solutions is not defined"
            )
        if key not in self.visited:
            self.visited.add(key)
            self._solve_call(goal, key, table)
            if not self.active:  # the outermost call: its recursions complete before it is read
                while self.dirty:
                    again = next(iter(self.dirty))
                    del self.dirty[again]
                    self._solve_call(self.goals[again], again, self.tables[again])
        return self._read_table(key, table)

    def _solve_call(self, goal: Struct, key: Term, table: dict[Term, bool]) -> None:
        """Solve ``goal`` into its table, again while a table it read to the end grew."""
        self.active[key] = len(self.active)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._fault(
                f"recursion through {goal.name}/{len(goal.args)} is over {MAX_DEPTH:,} calls "
                f"deep (now at {render(goal)}): a recursion that does not end?"
            )
        if time.perf_counter() > self.deadline:
            raise GroundingError(
                f"grounding {self.program.source} stopped after {self.max_seconds:g} s "
                f"(at {render(goal)})"
            )
        try:
            while True:
                self.dirty_active.discard(key)
                self._evaluate(goal, key, table)
                if key not in self.dirty_active:
                    break
        finally:
            self.depth -= 1
            del self.active[key]

    def _read_table(self, key: Term, table: dict[Term, bool]) -> Iterator[tuple[Term, int | None]]:
        # Read live: a recursive call sees the answers its own caller adds while it reads, so
        # a recursion completes in one evaluation (n answers in O(n), not O(n^2) re-evaluations).
        found = self.found[key]
        reader = next(reversed(self.active)) if self.active else None  # None: a query's read
        self.read_from.add(key)
        index = 0
        while index < len(found):
            answer = found[index]
            index += 1
            yield answer, None if table[answer] else self._atom(Struct("$in", (key, answer)))
        self.readers.setdefault(key, set()).add(reader)
        if self.closed:
            self.closed_reads.add(key)

    def _record(self, key: Term, table: dict[Term, bool], answer: Term, lits: Proof) -> None:
        # A non-ground answer (``p(X, 1)`` derived by ``b(1)``) is one atom for all of its
        # instances, as in ProbLog: its variant names it.
        answer = variant(answer)
        if not lits:
            if table.get(answer) is not True:
                self._grow(key, table, answer)
                table[answer] = True
            return
        self.rules[self._atom(Struct("$in", (key, answer)))].add(lits)
        if answer not in table:
            self._grow(key, table, answer)
            table[answer] = False

    def _grow(self, key: Term, table: dict[Term, bool], answer: Term) -> None:
        """Before ``answer`` is added to ``table`` or becomes certain in it: the reads that
        missed it are repeated, by solving their call again or by another pass."""
        if answer in table:  # it becomes certain: a read may have taken it as uncertain
            self.stale = self.stale or key in self.read_from
            return
        self.found[key].append(answer)
        self.stale = self.stale or key in self.closed_reads
        for reader in self.readers.pop(key, ()):
            if reader is None:
                self.stale = True
            elif reader in self.active:
                self.dirty_active.add(reader)
            else:
                self.dirty[reader] = None
        if len(table) >= MAX_ANSWERS:
            raise self._fault(
                f"over {MAX_ANSWERS:,} answers for one call (the last: {render(answer)}): "
                "a recursion over integers or terms that does not end?"
            )

    def _evaluate(self, goal: Struct, key: Term, table: dict[Term, bool]) -> None:
        for solved, lits, head in self._unfold(goal, {}):
            self._record(key, table, resolve(head, solved), lits)

    def _unfold(self, goal: Struct, env: Env) -> Iterator[tuple[Env, Proof, Term]]:
        """Every proof of ``goal`` by one of its clauses: the substitution, the literals and
        the clause head it proves (a probabilistic head adds its choice)."""
        first = walk(goal.args[0], env) if goal.args else None
        for index, clause in self.index.select(goal, first, self.clauses[goal.signature]):
            fresh: dict[Var, Var] = {}
            if self._has_variables(index, clause):
                heads = [
                    (None if label is None else rename(label, fresh), rename(head, fresh))
                    for label, head in clause.heads
                ]
                body = rename(clause.body, fresh)
            else:  # a ground clause (most facts) is its own fresh copy
                heads, body = list(clause.heads), clause.body
            self.where.append(clause.span)
            try:
                for position, (label, head) in enumerate(heads):
                    start = unify(head, goal, env) if head.signature == goal.signature else None
                    if start is None:
                        continue
                    for solved, lits in self._solve(body, start, ()):
                        proof: Proof | None = lits
                        if label is not None:
                            choice = self._choice(index, heads, fresh, position, solved)
                            proof = _conjoin(lits, ((choice, True),))
                        if proof is not None:
                            yield solved, proof, head
            finally:
                self.where.pop()

    def _has_variables(self, index: int, clause: Clause) -> bool:
        found = self.clause_has_variables.get(index)
        if found is None:
            terms = [clause.body, *(t for pair in clause.heads for t in pair if t is not None)]
            found = self.clause_has_variables[index] = not all(map(is_ground, terms))
        return found

    def _choice(
        self,
        index: int,
        heads: list[tuple[Term | None, Struct]],
        fresh: dict[Var, Var],
        position: int,
        env: Env,
    ) -> int:
        """The choice atom of head ``position`` in this ground instance of the clause."""
        instance = tuple(resolve(v, env) for v in fresh.values())
        alternatives = []
        for label, head in heads:
            ground_head = resolve(head, env)
            if not is_ground(ground_head):
                raise self._fault(
                    f"the probabilistic clause has a non-ground instance {render(ground_head)} "
                    "(ProbLog's NonGroundProbabilisticClause): its body must bind its variables"
                )
            assert label is not None  # every head of a probabilistic clause has a label
            alternatives.append((self._probability(label, env), ground_head))
        if len(heads) == 1:
            choice = self._atom(Struct("$choice", (index, *instance)))
            self.single[choice] = alternatives[0][0]
            return choice
        key = (index, instance)
        group = self.groups.get(key)
        if group is None:
            total = sum(p for p, _ in alternatives)
            if total > 1 + 1e-9:
                raise self._fault(
                    f"the annotated disjunction's probabilities sum to {total:g}, above 1"
                )
            ids = [self._atom(Struct("$choice", (index, i, *instance))) for i in range(len(heads))]
            group = self.groups[key] = _Group(
                [(p, c) for (p, _), c in zip(alternatives, ids, strict=False)]
            )
            for c in ids:
                self.choice_group[c] = group
        return group.alternatives[position][1]

    def _probability(self, label: Term, env: Env) -> float:
        label = walk(label, env)
        if isinstance(label, Struct) and label.name in ("t", "none"):
            raise self._fault(
                f"the learnable probability {render(resolve(label, env))} is ProbLog's LFI; "
                "nesy's ProbLog dialect does inference only"
            )
        value = evaluate(label, env)
        if not 0.0 <= value <= 1.0:
            raise self._fault(f"probability {value:g} is outside [0, 1]")
        return float(value)

    def _fault(self, message: str) -> _Fault:
        span = self.where[-1] if self.where else None
        return _Fault(message, span, self.program.text if span is not None else None)

    # --- solving ---------------------------------------------------------------------------

    def _solve(self, goal: Term, env: Env, lits: Proof) -> Iterator[tuple[Env, Proof]]:
        goal = walk(goal, env)
        if isinstance(goal, Var):
            raise self._fault("a call of an unbound variable (instantiation error)")
        if not isinstance(goal, Struct):
            raise self._fault(f"{render(goal)} is not a goal")
        name, arity = goal.name, len(goal.args)
        args = goal.args
        if arity == 0 and name == "true":
            yield env, lits
        elif arity == 0 and name in ("fail", "false"):
            return
        elif name == "," and arity == 2:
            for env1, lits1 in self._solve(args[0], env, lits):
                yield from self._solve(args[1], env1, lits1)
        elif name == ";" and arity == 2:
            first = walk(args[0], env)
            if isinstance(first, Struct) and first.name == "->" and len(first.args) == 2:
                yield from self._if_then_else(first.args[0], first.args[1], args[1], env, lits)
            else:
                yield from self._solve(args[0], env, lits)
                yield from self._solve(args[1], env, lits)
        elif name == "->" and arity == 2:
            yield from self._if_then_else(args[0], args[1], Struct("fail"), env, lits)
        elif name in ("\\+", "not") and arity == 1:
            yield from self._negation(args[0], env, lits)
        elif name == "call" and arity >= 1:
            yield from self._solve(_add_args(walk(args[0], env), args[1:], self), env, lits)
        elif name in ("findall", "all") and arity == 3:
            result = walk(args[2], env)
            if not (isinstance(result, Var) or _is_list(result) or result == NIL):
                raise self._fault(
                    f"{name}/3: its third argument must be a variable or a list, not "
                    f"{render(resolve(result, env))} (ProbLog's CallModeError)"
                )
            for items, env1, lits1 in self._collect(args[0], args[1], env, lits):
                if name == "all":  # ProbLog's all/3: distinct solutions; fails on none
                    items = list({variant(i): i for i in items}.values())
                    if not items:
                        continue
                extended = unify(args[2], make_list(items), env1)
                if extended is not None:
                    yield extended, lits1
        elif name == "aggregate_all" and arity == 3:
            yield from self._aggregate(args, env, lits)
        elif name == "forall" and arity == 2:
            inner = Struct(",", (args[0], Struct("\\+", (args[1],))))
            yield from self._negation(inner, env, lits)
        elif name == "once" and arity == 1:
            yield from self._if_then_else(args[0], TRUE, Struct("fail"), env, lits)
        elif (name, arity) in _UNSUPPORTED:
            raise self._fault(
                f"{_UNSUPPORTED[(name, arity)]} is not supported by nesy's ProbLog dialect"
            )
        elif (name, arity) in self.clauses:
            for answer, atom in self._call(resolve(goal, env)):
                extended = unify(goal, instantiate(answer), env)
                if extended is None:
                    continue
                if atom is None:
                    yield extended, lits
                else:
                    added = _conjoin(lits, ((atom, True),))
                    if added is not None:
                        yield extended, added
        elif (name, arity) in BUILTINS and self._sees((name, arity)):
            try:
                for extended in BUILTINS[(name, arity)](args, env):
                    yield extended, lits
            except NesyError as exc:
                if exc.span is None:
                    raise self._fault(f"{name}/{arity}: {exc.message}") from exc
                raise
        elif (name, arity) in self.declared or self.unknown_fails:
            return
        elif (library := _library_of((name, arity))) is not None:
            raise self._fault(
                f"unknown predicate {name}/{arity} (ProbLog's UnknownClause): it is in "
                f"library({library}), which this program does not load; add "
                f"':- use_module(library({library})).' as ProbLog requires"
            )
        else:
            raise self._fault(
                f"unknown predicate {name}/{arity} (ProbLog's UnknownClause): no clause defines "
                f"it and it is not a built-in; declare it with ':- dynamic {name}/{arity}.' if "
                "it has no clauses on purpose"
            )

    def _closed_proofs(self, goal: Term, env: Env) -> list[tuple[Env, Proof]]:
        """Every proof of ``goal``, for a construct whose result can shrink as the tables it
        reads grow (negation, a condition, a list of solutions)."""
        self.closed += 1
        try:
            return list(self._solve(goal, env, ()))
        finally:
            self.closed -= 1

    def _aux(self, kind: str, key: Term, proofs: list[Proof]) -> int:
        """An atom derived by each of ``proofs`` (a disjunction, named by ``key``)."""
        atom = self._atom(Struct(kind, (variant(key),)))
        self.rules[atom].update(proofs)
        return atom

    def _negation(self, goal: Term, env: Env, lits: Proof) -> Iterator[tuple[Env, Proof]]:
        goal = resolve(goal, env)
        proofs = [p for _, p in self._closed_proofs(goal, {})]
        if any(not p for p in proofs):
            return  # the goal is certain: its negation fails in every world
        if not proofs:
            yield env, lits
            return
        added = _conjoin(lits, ((self._aux("$not", goal, proofs), False),))
        if added is not None:
            yield env, added

    def _if_then_else(
        self, condition: Term, then: Term, otherwise: Term, env: Env, lits: Proof
    ) -> Iterator[tuple[Env, Proof]]:
        proofs = self._closed_proofs(condition, env)
        if any(p for _, p in proofs):
            raise self._fault(
                "an if-then-else (or once/1) whose condition depends on a probabilistic choice "
                "is not supported: write it as (C, Then ; \\+ C, Else)"
            )
        if proofs:
            yield from self._solve(then, proofs[0][0], lits)
        else:
            yield from self._solve(otherwise, env, lits)

    def _collect(
        self, template: Term, goal: Term, env: Env, lits: Proof
    ) -> Iterator[tuple[list[Term], Env, Proof]]:
        """For ``findall(T, G, L)``: each list ``L`` can be, with the literals under which it
        is exactly the list of solutions (every solution true, every other false)."""
        floor, self.collect_floor = self.collect_floor, len(self.active)
        self.closed += 1
        try:
            proofs = list(self._clause_proofs(goal, env))
        finally:
            self.collect_floor = floor
            self.closed -= 1
        # one solution per proof, as in Prolog: facts p(a) twice give [a, a]
        solutions: dict[int, list[Proof]] = {}
        order: list[Term] = []
        for index, (solved, proof) in enumerate(proofs):
            order.append(resolve(template, solved))
            solutions[index] = [proof]
        return self._subsets(goal, order, solutions, env, lits)

    def _clause_proofs(self, goal: Term, env: Env) -> Iterator[tuple[Env, Proof]]:
        """The proofs of ``goal``, one per clause instance at its top level (a user
        predicate is unfolded once instead of read from its table, which merges proofs)."""
        goal = walk(goal, env)
        if not (isinstance(goal, Struct) and goal.signature in self.clauses):
            yield from self._solve(goal, env, ())
            return
        resolved = resolve(goal, env)
        self._call(resolved)  # tables its answers (and reports a cycle through findall)
        for solved, lits, _ in self._unfold(goal, env):
            yield solved, lits

    def _subsets(
        self,
        goal: Term,
        order: list[Term],
        solutions: dict[int, list[Proof]],
        env: Env,
        lits: Proof,
    ) -> Iterator[tuple[list[Term], Env, Proof]]:
        """Each sub-list of ``order`` (the solutions, by proof) with the literals under which
        exactly its proofs hold."""
        ids = list(solutions)
        certain = {k for k, proofs in solutions.items() if any(not p for p in proofs)}
        uncertain = [k for k in ids if k not in certain]
        if not uncertain:
            yield order, env, lits
            return
        if len(uncertain) > MAX_FINDALL:
            raise self._fault(
                f"findall/3 over {len(uncertain)} probabilistic solutions would ground "
                f"2^{len(uncertain)} lists; nesy stops at {MAX_FINDALL}"
            )
        auxes = [
            self._aux("$solution", Struct("$", (resolve(goal, env), k)), solutions[k])
            for k in uncertain
        ]
        for mask in range(1 << len(uncertain)):
            chosen = {k for bit, k in enumerate(uncertain) if mask >> bit & 1}
            items = [
                item for k, item in zip(ids, order, strict=False) if k in certain or k in chosen
            ]
            added = _conjoin(
                lits, tuple((aux, bool(mask >> bit & 1)) for bit, aux in enumerate(auxes))
            )
            if added is not None:
                yield items, env, added

    def _aggregate(
        self, args: tuple[Term, ...], env: Env, lits: Proof
    ) -> Iterator[tuple[Env, Proof]]:
        spec = walk(args[0], env)
        if isinstance(spec, Struct) and spec.name == "count" and not spec.args:
            spec, function = Struct("count", (TRUE,)), "count"
        elif isinstance(spec, Struct) and len(spec.args) == 1 and spec.name in _AGGREGATES:
            function = spec.name
        else:
            raise self._fault(
                f"aggregate_all({render(resolve(spec, env))}, ...): nesy knows count, sum(E), "
                "max(E), min(E), bag(E), set(E)"
            )
        for items, env1, lits1 in self._collect(spec.args[0], args[1], env, lits):
            value = _AGGREGATES[function](items, env1)
            if value is not None:
                extended = unify(args[2], value, env1)
                if extended is not None:
                    yield extended, lits1


def _aggregate_number(combine: Callable[[list[Number]], Number]) -> Aggregate:
    def run(items: list[Term], env: Env) -> Term | None:
        if not items:
            return 0 if combine is sum else None
        return number(combine([evaluate(i, env) for i in items]))

    return run


def _sorted_set(items: list[Term], env: Env) -> Term:
    from nesy.ground.unify import order_key

    unique = {order_key(i): i for i in items}
    return make_list([unique[k] for k in sorted(unique)])


_AGGREGATES: dict[str, Aggregate] = {
    "count": lambda items, env: len(items),
    "sum": _aggregate_number(sum),
    "max": _aggregate_number(max),
    "min": _aggregate_number(min),
    "bag": lambda items, env: make_list(items),
    "set": _sorted_set,
}


def _conjoin(lits: tuple[Lit, ...], more: tuple[Lit, ...]) -> tuple[Lit, ...] | None:
    """``lits`` and ``more``, without repeats; None when they contradict each other."""
    result = dict.fromkeys(lits)
    for lit in more:
        if (lit[0], not lit[1]) in result:
            return None
        result[lit] = None
    return tuple(result)


def _add_args(goal: Term, extra: tuple[Term, ...], grounder: _Grounder) -> Term:
    if isinstance(goal, Var):
        raise grounder._fault("call/N of an unbound variable (instantiation error)")
    if not isinstance(goal, Struct):
        raise grounder._fault(f"call/N: {render(goal)} is not callable")
    return Struct(goal.name, goal.args + extra) if extra else goal


def _is_list(term: Term) -> bool:
    return isinstance(term, Struct) and term.name == "." and len(term.args) == 2


def _conjuncts(term: Term) -> list[Term]:
    parts = []
    while isinstance(term, Struct) and term.name == "," and len(term.args) == 2:
        parts.append(term.args[0])
        term = term.args[1]
    parts.append(term)
    return parts
