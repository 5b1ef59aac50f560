"""The ProbLog dialect: text to clauses and directives (Prolog terms, positioned).

A ProbLog program (a ``.pl`` file, or ``--dialect problog``) is read with Prolog's operator
syntax (``prolog.lark``), each clause as one term that is then classified:

- ``h.`` / ``h :- b.`` / ``h <- b.``: a clause with one head;
- ``p::h :- b.``: a probabilistic clause; ``p1::h1; p2::h2 :- b.``: an annotated disjunction;
- ``:- g.``: a directive.

What a clause *means* (built-ins, queries, evidence) is the top-down grounder's business
(:mod:`nesy.ground.topdown`); this module only builds terms and says where they came from.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass
from os import PathLike
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from nesy.errors import NesySyntaxError
from nesy.lang.ir import Span
from nesy.lang.prolog_reader import Unreadable, read_clauses, unquote
from nesy.lang.prolog_term import NIL, TRUE, Float, Struct, Term, Text, Var, make_list, number
from nesy.lang.source_file import read_program

__all__ = ["Clause", "Directive", "PrologProgram", "parse_prolog", "parse_prolog_file"]


@dataclass(frozen=True, slots=True)
class Clause:
    """``heads :- body``: each head with its probability label (``None``: not probabilistic).

    One unlabelled head is an ordinary clause, one labelled head a probabilistic clause, several
    labelled heads an annotated disjunction.
    """

    heads: tuple[tuple[Term | None, Struct], ...]
    body: Term
    span: Span

    @property
    def probabilistic(self) -> bool:
        return self.heads[0][0] is not None


@dataclass(frozen=True, slots=True)
class Directive:
    """``:- goal.``"""

    goal: Term
    span: Span


@dataclass(frozen=True, slots=True)
class PrologProgram:
    statements: tuple[Clause | Directive, ...]
    source: str
    text: str


def parse_prolog(text: str, source: str = "<string>") -> PrologProgram:
    """Parse a ProbLog program.

    >>> program = parse_prolog("0.5::a(X) :- b(X). b(1). :- use_module(library(lists)).")
    >>> [type(s).__name__ for s in program.statements]
    ['Clause', 'Clause', 'Directive']
    >>> program.statements[0].heads
    ((0.5, a(_)),)
    """
    try:
        clauses = read_clauses(text)
    except (Unreadable, RecursionError):  # the grammar decides: it reads it or says what is wrong
        return _parse_with_grammar(text, source)
    statements = (_statement(d, term, Span(source, *at), text) for d, term, at in clauses)
    return PrologProgram(tuple(statements), source, text)


def _parse_with_grammar(text: str, source: str = "<string>") -> PrologProgram:
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as exc:
        span = Span(source, exc.line, exc.column, exc.line, exc.column + 1)
        hint = _SCOPE_HINT if exc.char == ":" else ""
        raise NesySyntaxError(f"unexpected character {exc.char!r}{hint}", span, text) from exc
    except UnexpectedEOF as exc:
        raise NesySyntaxError(
            "unexpected end of input; expected '.' to end the clause", _end(text, source), text
        ) from exc
    except UnexpectedToken as exc:
        token = exc.token
        if token.type == "$END":
            raise NesySyntaxError(
                "unexpected end of input; expected '.' followed by a space or a new line to end "
                "the clause",
                _end(text, source),
                text,
            ) from exc
        span = Span(source, token.line, token.column, token.end_line, token.end_column)
        raise NesySyntaxError(f"unexpected '{token}'{_hint(token, text)}", span, text) from exc
    except LarkError as exc:  # defensive: any other lark failure is still a syntax error
        raise NesySyntaxError(f"cannot parse: {exc}", Span(source, 1, 1, 1, 1), text) from exc
    builder = _Builder(source, text)
    statements = []
    for clause in tree.children:
        assert isinstance(clause, Tree)  # the grammar's start is clause*
        statements.append(builder.statement(clause))
    return PrologProgram(tuple(statements), source, text)


def parse_prolog_file(path: str | PathLike[str]) -> PrologProgram:
    """Parse the ProbLog program in the file at ``path`` (UTF-8)."""
    return parse_prolog(read_program(path), str(path))


@functools.cache
def _parser() -> Lark:
    grammar = importlib.resources.files("nesy.lang").joinpath("prolog.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True)


def _end(text: str, source: str) -> Span:
    line = text.count("\n") + 1
    column = len(text) - text.rfind("\n")
    return Span(source, line, column, line, column)


_SCOPE_HINT = "; scoped atoms (scope:atom) are ProbLog constructs nesy does not support"
# ProbLog's aggregates: ``dept_salary(D, avg<S>) :- ...`` and ``(...) => D / avg(S, A)``
_AGGREGATE_HEAD = re.compile(r"\b[a-z]\w*\s*<[^<>()]*$")


def _hint(token: Token, text: str) -> str:
    before = (
        text.splitlines()[token.line - 1][: token.column - 1] if token.line and token.column else ""
    )
    if token == ">" and before.endswith("="):
        return "; ProbLog's aggregate operator '=>' is not supported by nesy"
    if token == ">" and _AGGREGATE_HEAD.search(before):
        return "; ProbLog's aggregate heads (avg<X>, count<X>, ...) are not supported by nesy"
    if token.type == "END":
        return "; the clause ends too early (an operator without its right operand?)"
    if token.type in ("NAME", "VAR", "INT", "FLOAT", "QUOTED", "STRING"):
        return "; expected an operator, ',' or '.' (a missing ',' or '.' before it?)"
    return ""


def _statement(directive: bool, term: Term, span: Span, text: str) -> Clause | Directive:
    if directive:
        return Directive(term, span)
    head: Term = term
    body: Term = TRUE
    if isinstance(term, Struct) and term.name in (":-", "<-") and len(term.args) == 2:
        head, body = term.args
    return Clause(_heads(head, span, text), body, span)


def _heads(head: Term, span: Span, text: str) -> tuple[tuple[Term | None, Struct], ...]:
    parts: list[Term] = []
    while isinstance(head, Struct) and head.name == ";" and len(head.args) == 2:
        parts.append(head.args[0])
        head = head.args[1]
    parts.append(head)
    heads: list[tuple[Term | None, Struct]] = []
    for part in parts:
        label: Term | None = None
        atom = part
        if isinstance(part, Struct) and part.name == "::" and len(part.args) == 2:
            label, atom = part.args
        if not isinstance(atom, Struct) or atom.name in (",", "::", ":-"):
            raise NesySyntaxError(
                f"a clause head must be an atom or compound term, not {atom}", span, text
            )
        heads.append((label, atom))
    if len(heads) > 1 and any(label is None for label, _ in heads):
        raise NesySyntaxError(
            "a head with ';' is an annotated disjunction: every alternative needs a "
            "probability label (p::atom); plain disjunctive heads are not ProbLog",
            span,
            text,
        )
    return tuple(heads)


#: what building a node gives: a term, the list of a compound's arguments, or a name
_Built = Term | list[Term] | str


class _Builder:
    """Builds one clause's term from lark's tree, iteratively (deep terms need no recursion),
    with one variable object per name within the clause."""

    def __init__(self, source: str, text: str):
        self.source = source
        self.text = text

    def _span(self, node: Tree[Token]) -> Span:
        meta = node.meta
        return Span(self.source, meta.line, meta.column, meta.end_line, meta.end_column)

    def error(self, message: str, node: Tree[Token]) -> NesySyntaxError:
        return NesySyntaxError(message, self._span(node), self.text)

    def statement(self, clause: Tree[Token]) -> Clause | Directive:
        node = clause.children[0]
        if isinstance(node, Tree) and node.data == "directive":
            return _statement(True, self.term(node.children[-1]), self._span(clause), self.text)
        return _statement(False, self.term(node), self._span(clause), self.text)

    def term(self, tree: Tree[Token] | Token) -> Term:
        variables: dict[str, Var] = {}
        results: list[_Built | Token | None] = []
        stack: list[tuple[Tree[Token] | Token | None, bool]] = [(tree, False)]
        while stack:
            node, done = stack.pop()
            if not isinstance(node, Tree):
                results.append(node)
            elif done:
                count = len(node.children)
                children = results[len(results) - count :] if count else []
                del results[len(results) - count :]
                results.append(self.build(node, children, variables))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        term = results[0]
        assert isinstance(term, Var | Struct | Text | int | float)  # every term rule builds one
        return term

    def build(self, node: Tree[Token], children: list[Any], variables: dict[str, Var]) -> _Built:
        """The value of ``node`` from its children's: what each child is (a token, a term, an
        argument list, a name) depends on ``node.data``, hence ``list[Any]``."""
        kind = node.data
        if kind == "var":
            name = str(children[0])
            if name == "_":
                return Var("_")
            return variables.setdefault(name, Var(name))
        if kind == "int":
            digits = str(children[0])
            if len(digits) > 4000:
                raise self.error("an integer of over 4,000 digits", node)
            return int(digits)
        if kind == "float":
            return Float(str(children[0]))
        if kind == "name":
            token = str(children[0])
            return unquote(token[1:-1]) if token.startswith("'") else token
        if kind == "atom":
            first = children[0]
            return Struct(str(first) if isinstance(first, Token) else first)
        if kind == "compound":
            return Struct(children[0], tuple(children[1]))
        if kind == "arguments":
            return children
        if kind == "empty_list":
            return NIL
        if kind == "list":
            return make_list(children[0], NIL if children[1] is None else children[1])
        if kind == "curly":
            return Struct("{}", (children[0],))
        if kind == "string":
            return Text(unquote(str(children[0])[1:-1]))
        if kind == "infix":
            left, op, right = children
            return Struct(str(op), (left, right))
        if kind == "directive":
            raise self.error("a directive (:- goal) stands alone, not inside a term", node)
        if kind == "prefix":
            op, arg = str(children[0]), children[1]
            if op == "-" and isinstance(arg, int | float):
                return number(-arg)
            if op == "+" and isinstance(arg, int | float):
                return arg
            return Struct("\\+" if op == "not" else op, (arg,))
        raise AssertionError(f"unhandled rule {kind}")  # pragma: no cover - grammar and builder
