"""Text to :class:`~nesy.lang.ir.Program`: the lark grammar, one tree-to-IR pass, readable errors.

The grammar lives in ``grammar.lark`` next to this module. :func:`parse` builds the IR in one
pass of :class:`_Builder` over lark's tree, then runs :func:`nesy.lang.check.check` on it.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import re
from os import PathLike
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.lexer import PatternStr
from lark.parsers.lalr_parser_state import ParserState

from nesy.errors import NesyError, NesySyntaxError
from nesy.lang import ir
from nesy.lang.check import check
from nesy.lang.ir import Program, Span, Statement, Term

__all__ = ["parse", "parse_file"]


def parse(text: str, source: str = "<string>") -> Program:
    """Parse and check a program.

    Parameters
    ----------
    text
        The program text.
    source
        The name spans and error messages use for the text (usually its file name).

    Returns
    -------
    Program
        The statements in source order.

    Raises
    ------
    NesySyntaxError
        The text is not a program; the error points at the offending token or character.
    NesyTypeError
        The program is well-formed but meaningless (unsafe variable, bad probability, ...).

    Examples
    --------
    >>> program = parse("0.3::edge(a,b). path(X,Y) :- edge(X,Y).")
    >>> [type(s).__name__ for s in program.statements]
    ['ProbFact', 'Rule']
    >>> str(program.statements[1])
    'path(X,Y):-edge(X,Y).'
    """
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, source) from exc
    except LarkError as exc:  # defensive: any other lark failure is still a syntax error
        raise NesySyntaxError(f"cannot parse: {exc}", Span(source, 1, 1, 1, 1), text) from exc
    statements = _Builder(source, text).build(tree)
    program = Program(tuple(statements), source)
    check(program, text)
    return program


def parse_file(path: str | PathLike[str]) -> Program:
    """Parse and check the program in the file at ``path`` (UTF-8); see :func:`parse`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NesyError(f"cannot read program file {str(path)!r}: {exc}") from exc
    return parse(text, str(path))


@functools.cache
def _parser() -> Lark:
    grammar = importlib.resources.files("nesy.lang").joinpath("grammar.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
    )


# --- tree to IR ----------------------------------------------------------------------------

_CANONICAL_OP = {"\\=": "!=", "==": "=", "=<": "<=", "=:=": "=", "=\\=": "!=", "is": "="}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_CLINGO_VAR = re.compile(r"_*[A-Z][A-Za-z0-9_']*|_")
_ESCAPE = re.compile(r"\\(.)")


def _var_name(token: Token) -> str:
    """Prolog's ``_x`` is a variable but clingo's is a constant: it becomes ``_V_x``."""
    return str(token) if _CLINGO_VAR.fullmatch(token) else "_V" + token


def _int_value(term: Term) -> int | None:
    return term.value if isinstance(term, ir.Const) and isinstance(term.value, int) else None


class _Builder:
    """One method per grammar rule (or alias), called as ``method(meta, *children)``.

    Like a lark ``Transformer`` with ``v_args(meta=True, inline=True)``, but walking the tree
    iteratively: no recursion limit on deep terms and no per-call wrapper overhead.
    """

    def __init__(self, source: str, text: str):
        self._source = source
        self._text = text

    def build(self, tree: Tree) -> list[Statement]:
        results: list = []
        stack: list[tuple[object, bool]] = [(tree, False)]
        while stack:
            node, children_done = stack.pop()
            if not isinstance(node, Tree):  # a token, or None for an absent [optional]
                results.append(node)
            elif children_done:
                count = len(node.children)
                children = results[len(results) - count :]
                del results[len(results) - count :]
                results.append(getattr(self, node.data)(node.meta, *children))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        return results[0]

    def _span(self, meta) -> Span:
        return Span(self._source, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, tok: Token) -> Span:
        return Span(self._source, tok.line, tok.column, tok.end_line, tok.end_column)

    def _error(self, message: str, span: Span) -> NesySyntaxError:
        return NesySyntaxError(message, span, self._text)

    # statements

    def start(self, meta, *statements: Statement) -> list[Statement]:
        return list(statements)

    def rule(self, meta, head, body):
        return ir.Rule(head, body or (), self._span(meta))

    def constraint(self, meta, body):
        return ir.Constraint(body, self._span(meta))

    def choice_rule(self, meta, lower, *rest):
        elements = tuple(e for e in rest[:-2] if e is not None)
        upper, body = rest[-2], rest[-1]
        if upper is not None and upper[0] == "exact":
            if lower is not None:
                raise self._error(
                    "a choice rule with '= n' cannot also have a lower bound", lower.span
                )
            lower = upper[1]
        return ir.ChoiceRule(
            elements, lower, None if upper is None else upper[1], body or (), self._span(meta)
        )

    def upper_bound(self, meta, term):
        return ("upper", term)

    def exact_bound(self, meta, term):
        return ("exact", term)

    def choice_element(self, meta, atom, condition):
        return ir.ChoiceElement(atom, condition or (), self._span(meta))

    def prob_rule(self, meta, *children):
        heads, body = children[:-1], children[-1] or ()
        if len(heads) == 1:
            return ir.ProbFact(heads[0][0], heads[0][1], body, self._span(meta))
        return ir.AnnotatedDisjunction(tuple(heads), body, self._span(meta))

    def prob_head(self, meta, probability: Token, atom):
        return (float(probability), atom)

    def neural(self, meta, network: Token, inputs, output: Token, domain, atom):
        out = ir.Var(_var_name(output), self._tspan(output))
        return ir.NeuralPredicate(str(network), inputs, out, domain, atom, self._span(meta))

    def nn_inputs(self, meta, *tokens):
        return tuple(ir.Var(_var_name(t), self._tspan(t)) for t in tokens if t is not None)

    def nn_domain(self, meta, *terms):
        values: list[Term] = []
        for term in terms:
            if term is None:
                continue
            lo, hi = (
                (_int_value(term.lo), _int_value(term.hi))
                if isinstance(term, ir.Interval)
                else (None, None)
            )
            if lo is not None and hi is not None:  # `[0..9]`: intervals are expanded
                values.extend(ir.Const(v, term.span) for v in range(lo, hi + 1))
            else:  # anything else is kept; the checks reject non-ground values
                values.append(term)
        return tuple(values)

    def query(self, meta, atom):
        return ir.Query(atom, self._span(meta))

    def evidence(self, meta, atom, value: Token | None):
        if value is not None and value not in ("true", "false"):
            raise self._error(
                f"unexpected '{value}'; expected 'true' or 'false'", self._tspan(value)
            )
        return ir.Evidence(atom, value != "false", self._span(meta))

    def show(self, meta, name: Token, arity: Token):
        return ir.Show(str(name), int(arity), self._span(meta))

    def const_def(self, meta, name: Token, value):
        return ir.ConstDef(str(name), value, self._span(meta))

    # bodies

    def body(self, meta, *items):
        return tuple(items)

    condition = body

    def pos_literal(self, meta, atom):
        return ir.Literal(atom, False, self._span(meta))

    def neg_literal(self, meta, _negation, atom):
        return ir.Literal(atom, True, self._span(meta))

    def negation(self, meta, token):
        return True

    def cmp(self, meta, token: Token) -> str:
        return _CANONICAL_OP.get(str(token), str(token))

    def comparison(self, meta, left, op, right):
        return ir.Comparison(op, left, right, self._span(meta))

    def aggregate(self, meta, negated, left, left_op, function: Token, *rest):
        elements = tuple(e for e in rest[:-2] if e is not None)
        right_op, right = rest[-2], rest[-1]
        guards = []
        if left is not None:
            guards.append(ir.Guard(_FLIP[left_op], left, left.span))
        if right is not None:
            guards.append(ir.Guard(right_op, right, right.span))
        return ir.Aggregate(
            str(function)[1:], elements, tuple(guards), bool(negated), self._span(meta)
        )

    def agg_element(self, meta, *children):
        return ir.AggregateElement(tuple(children[:-1]), children[-1] or (), self._span(meta))

    # atoms and terms

    def atom(self, meta, name: Token, args):
        return ir.Atom(str(name), self._flat_args(args), self._span(meta))

    def args(self, meta, *tuples):
        return (tuples, self._span(meta))

    def arg_tuple(self, meta, *terms):
        return tuple(terms)

    def _flat_args(self, args) -> tuple[Term, ...]:
        """Arguments of an atom or function: ``f(1;2)`` pools its single argument."""
        if args is None:
            return ()
        tuples, span = args
        if len(tuples) == 1:
            return tuples[0]
        if all(len(t) == 1 for t in tuples):
            return (ir.Pool(tuple(t[0] for t in tuples), span),)
        raise self._error(
            "a pool of several arguments is not supported; "
            "pool one argument in parentheses, e.g. p(a,(1;2))",
            span,
        )

    def func(self, meta, name: Token, args):
        return ir.Func(str(name), self._flat_args(args), self._span(meta))

    def paren(self, meta, args):
        if args is None:
            return ir.Func("", (), self._span(meta))
        tuples, _ = args
        span = self._span(meta)
        alternatives = [t[0] if len(t) == 1 else ir.Func("", t, span) for t in tuples]
        if len(alternatives) > 1:
            return ir.Pool(tuple(alternatives), span)
        return alternatives[0]

    def var(self, meta, token: Token):
        return ir.Var(_var_name(token), self._span(meta))

    def int(self, meta, token: Token):
        return ir.Const(int(token), self._span(meta))

    def const(self, meta, token: Token):
        return ir.Const(str(token), self._span(meta))

    def string(self, meta, token: Token):
        value = _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), token[1:-1])
        return ir.Str(value, self._span(meta))

    def neg(self, meta, term):
        if isinstance(term, ir.Const) and isinstance(term.value, int):
            return ir.Const(-term.value, self._span(meta))
        return ir.UnaryMinus(term, self._span(meta))

    def interval(self, meta, lo, hi):
        return ir.Interval(lo, hi, self._span(meta))

    def _binop(self, op: str, meta, left, right) -> ir.BinOp:
        return ir.BinOp(op, left, right, self._span(meta))

    add = functools.partialmethod(_binop, "+")
    sub = functools.partialmethod(_binop, "-")
    mul = functools.partialmethod(_binop, "*")
    div = functools.partialmethod(_binop, "/")
    mod = functools.partialmethod(_binop, "\\")
    pow = functools.partialmethod(_binop, "**")


# --- syntax errors -------------------------------------------------------------------------

_TERMINAL_WORDS = {
    "VAR": "a variable",
    "NAME": "an identifier",
    "INT": "an integer",
    "FLOAT": "a probability",
    "STRING": "a string",
    "AGGREGATE": "an aggregate (#count, #sum, #min, #max)",
    "$END": "end of input",
}
# Operators are summarised as a group when several of them are expected.
_GROUPS = {
    "a comparison operator": {
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "\\=",
        "==",
        "=<",
        "=:=",
        "=\\=",
        "is",
    },
    "an arithmetic operator": {"+", "-", "*", "/", "\\", "**", ".."},
}
_MAX_EXPECTED = 8


def _literal(name: str) -> str | None:
    """The text of a literal terminal (``'.'`` for ``DOT``), or None for a pattern."""
    try:
        pattern = _parser().get_terminal(name).pattern
    except KeyError:
        return None
    return pattern.value if isinstance(pattern, PatternStr) else None


def _accepted(exc: UnexpectedInput) -> set[str]:
    """The terminals that would let the parser go on where it failed.

    The parse table's entry for the failing state over-approximates (LALR merges lookaheads), so
    each candidate is fed to a copy of the parser, as lark's ``InteractiveParser.accepts`` does.
    """
    state = getattr(exc, "state", None)
    if not isinstance(state, ParserState):
        return set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    conf = copy.copy(state.parse_conf)
    conf.callbacks = {}  # build no trees while probing
    accepted = set()
    for name in state.parse_conf.states[state.position]:
        if not name.isupper():  # a nonterminal's goto entry
            continue
        probe = state.copy(deepcopy_values=False)
        probe.parse_conf = conf
        try:
            probe.feed_token(Token(name, ""), is_end=name == "$END")
        except UnexpectedToken:
            continue
        accepted.add(name)
    return accepted


def _expected_text(names: set[str]) -> str:
    """``; expected one of: ',', '.', ':-'`` for a set of lark terminal names."""
    literals = {_literal(n) for n in names} - {None}
    if "#show" in literals:
        return "; expected a statement"
    if "not" in literals and "AGGREGATE" in names:
        return "; expected a literal, a comparison or an aggregate"
    words = sorted(_TERMINAL_WORDS.get(n, n) for n in names if _literal(n) is None)
    groups = []
    for group, members in _GROUPS.items():
        if len(literals & members) > 1:
            literals -= members
            groups.append(group)
    described = [f"'{text}'" for text in sorted(literals)] + words + groups
    if not described:
        return ""
    if len(described) == 1:
        return f"; expected {described[0]}"
    if len(described) > _MAX_EXPECTED:
        described = described[:_MAX_EXPECTED] + ["..."]
    return "; expected one of: " + ", ".join(described)


def _syntax_error(exc: UnexpectedInput, text: str, source: str) -> NesySyntaxError:
    expected = _accepted(exc)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token = exc.token
        span = Span(source, token.line, token.column, token.end_line, token.end_column)
        return NesySyntaxError(f"unexpected '{token}'{_expected_text(expected)}", span, text)
    if isinstance(exc, UnexpectedToken | UnexpectedEOF):
        token = getattr(exc, "token", None)
        if token is not None and token.end_line is not None:
            span = Span(source, token.end_line, token.end_column, token.end_line, token.end_column)
        else:
            line = text.count("\n") + 1
            column = len(text) - text.rfind("\n")
            span = Span(source, line, column, line, column)
        if "DOT" in expected:
            message = "unexpected end of input; expected '.' to end the statement"
        else:
            message = "unexpected end of input" + _expected_text(expected)
        return NesySyntaxError(message, span, text)
    assert isinstance(exc, UnexpectedCharacters)
    span = Span(source, exc.line, exc.column, exc.line, exc.column + 1)
    rest = text[exc.pos_in_stream :]
    if rest.startswith("%*"):
        return NesySyntaxError("unterminated block comment: missing '*%'", span, text)
    if rest.startswith('"'):
        return NesySyntaxError("unterminated string: missing '\"'", span, text)
    return NesySyntaxError(
        f"unexpected character {exc.char!r}{_expected_text(expected)}", span, text
    )
