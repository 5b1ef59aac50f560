"""lark's parse failures as :class:`~nesy.errors.NesySyntaxError`: where, what was expected, and
the construct's name when it is one the .nesy dialect does not have.

A failure is first matched against constructs that users of clingo or Prolog write and that
this dialect leaves out (``#minimize``, ``:~``, floats, ``:- dynamic p/1``, ``!``, ``->``, ...):
those get a message that names the construct and points at it. Anything else gets lark's view:
the unexpected token and the tokens that would have let the parse go on.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr
from lark.parsers.lalr_parser_state import ParserState

from nesy.errors import NesySyntaxError
from nesy.lang.builtins import DIRECTIVES, PROBLOG_DIALECT
from nesy.lang.ir import Span

__all__ = ["syntax_error", "FLOAT_MESSAGE"]

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
        "\\==",
        "=<",
        "=:=",
        "=\\=",
        "is",
    },
    "an arithmetic operator": {"+", "-", "*", "/", "//", "\\", "**", "..", "mod", "div", "rem"},
}
_MAX_EXPECTED = 8

_ANNOTATED = "in a program with probabilistic annotations"
#: clingo directives the dialect leaves out -> why, or what to write instead
_HASH_DIRECTIVES = {
    "minimize": f"'#minimize' (optimisation) is not supported {_ANNOTATED}",
    "minimise": f"'#minimise' (optimisation) is not supported {_ANNOTATED}",
    "maximize": f"'#maximize' (optimisation) is not supported {_ANNOTATED}",
    "maximise": f"'#maximise' (optimisation) is not supported {_ANNOTATED}",
    "external": (
        f"'#external' is not supported {_ANNOTATED}; a predicate whose facts come from "
        "another file is declared with '#defined p/n.'"
    ),
    "program": f"'#program' (program parts) is not supported {_ANNOTATED}",
    "include": f"'#include' is not supported {_ANNOTATED}",
    "script": f"'#script' (embedded scripts) is not supported {_ANNOTATED}",
    "heuristic": f"'#heuristic' is not supported {_ANNOTATED}",
    "project": f"'#project' is not supported {_ANNOTATED}",
    "edge": f"'#edge' is not supported {_ANNOTATED}",
    "theory": f"'#theory' (theory atoms) is not supported {_ANNOTATED}",
    "true": "'#true' is clingo's spelling; in the .nesy dialect write 'true'",
    "false": "'#false' is clingo's spelling; in the .nesy dialect write 'fail' or 'false'",
}
_SUPPORTED_HASH = {"const", "show", "defined", "count", "sum", "min", "max"}
FLOAT_MESSAGE = (
    "floats are not terms in the .nesy dialect (clingo has no floats); probabilities go before '::'"
)


def _literal(parser: Lark, name: str) -> str | None:
    """The text of a literal terminal (``'.'`` for ``DOT``), or None for a pattern."""
    try:
        pattern = parser.get_terminal(name).pattern
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


def _expected_text(parser: Lark, names: set[str]) -> str:
    """``; expected one of: ',', '.', ':-'`` for a set of lark terminal names."""
    literals = {text for n in names if (text := _literal(parser, n)) is not None}
    if "#show" in literals:
        return "; expected a statement"
    if "not" in literals and "AGGREGATE" in names:
        return "; expected a literal, a comparison or an aggregate"
    if "::" in literals and "." in literals:
        # after a head atom, which could also begin a probability label (`p::a` is read so
        # that the error can say a label is a number): the label's continuations mislead
        literals -= {"::", *_GROUPS["an arithmetic operator"]}
    words = sorted(_TERMINAL_WORDS.get(n, n) for n in names if _literal(parser, n) is None)
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


def _position(text: str, pos: int) -> tuple[int, int]:
    """1-based (line, column) of character offset ``pos``."""
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _span(source: str, text: str, start: int, end: int) -> Span:
    line, column = _position(text, start)
    end_line, end_column = _position(text, end)
    return Span(source, line, column, end_line, end_column)


def _directive(stack: Sequence[object]) -> tuple[int, str] | None:
    """``(index, name)`` when the parse stack holds ``:- name`` at the start of a statement
    with ``name`` a Prolog directive (``:- dynamic p/1.`` fails to parse right after it);
    ``(index, "")`` for a bare ``:-`` there."""
    for i in range(len(stack) - 1, -1, -1):
        if isinstance(stack[i], Token) and stack[i] == ":-":
            previous = stack[i - 1] if i else None
            at_start = i == 0 or (
                isinstance(previous, Tree) and str(previous.data).startswith("__start")
            )
            if not at_start:
                return None
            if i + 1 == len(stack):
                return i, ""
            name = stack[i + 1]
            if isinstance(name, Token) and name.type == "NAME" and str(name) in DIRECTIVES:
                return i + 1, str(name)
            return None
    return None


def _construct(exc: UnexpectedInput, text: str, source: str) -> NesySyntaxError | None:
    """The error for a construct the dialect leaves out, if the failure is at one."""
    token = getattr(exc, "token", None)
    pos = token.start_pos if isinstance(token, Token) and token.type != "$END" else None
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
    if pos is None:
        return None
    state = getattr(exc, "state", None)
    stack = list(state.value_stack) if isinstance(state, ParserState) else []
    rest, before = text[pos:], text[:pos]

    def error(message: str, start: int = pos, end: int | None = None) -> NesySyntaxError:
        end = start + 1 if end is None else end
        return NesySyntaxError(message, _span(source, text, start, end), text)

    if match := re.match(r"#([A-Za-z_]\w*)", rest):
        word = match.group(1)
        if word in _HASH_DIRECTIVES:
            return error(_HASH_DIRECTIVES[word], pos, pos + match.end())
        if word not in _SUPPORTED_HASH:
            return error(
                f"unknown directive '#{word}'; the .nesy dialect has #const, #show, #defined "
                "and the aggregates #count, #sum, #min, #max",
                pos,
                pos + match.end(),
            )
    if rest.startswith(":~"):
        return error(f"':~' weak constraints are not supported {_ANNOTATED}", pos, pos + 2)
    found = _directive(stack)
    if found is not None:
        index, name = found
        if name:
            start = stack[index].start_pos
            return error(
                f"':- {name} ...' is a Prolog directive, which the .nesy dialect does not have; "
                f"{PROBLOG_DIALECT}",
                start,
                start + len(name),
            )
        if rest.startswith("["):
            return error(
                f"':- [file]' (consult) is a Prolog directive, which the .nesy dialect does not "
                f"have; {PROBLOG_DIALECT}"
            )
    if isinstance(token, Token) and token.type == "FLOAT":
        return error(FLOAT_MESSAGE, pos, pos + len(token))
    if rest.startswith("->") or (rest.startswith(">") and before.endswith("-")):
        start = pos if rest.startswith("->") else pos - 1
        return error(
            f"'->' (if-then-else) is Prolog control that the .nesy dialect does not have; "
            f"{PROBLOG_DIALECT}",
            start,
            start + 2,
        )
    if rest.startswith("!") and not rest.startswith("!="):
        return error(
            f"'!' (cut) is Prolog control that the .nesy dialect does not have; {PROBLOG_DIALECT}"
        )
    if rest.startswith("^"):
        return error(
            "'^' is not an operator in the .nesy dialect (Prolog's power, clingo's bitwise "
            "xor): write '**' for a power"
        )
    if rest.startswith(";") and any(isinstance(v, Token) and v == ":-" for v in stack):
        return error(
            "';' (disjunction) in a rule body is not supported: write one rule per alternative"
        )
    if rest.startswith(";"):  # not in a body, nor in braces or parentheses, which take ';'
        return error(
            "disjunctive heads 'a ; b' are not supported; an annotated disjunction gives each "
            "head its probability: '0.5::a; 0.5::b.'"
        )
    if rest.startswith("["):
        return error("lists are not terms in the .nesy dialect (clingo has no lists)")
    return None


def syntax_error(exc: UnexpectedInput, text: str, source: str, parser: Lark) -> NesySyntaxError:
    """The :class:`NesySyntaxError` for lark's failure ``exc`` to parse ``text``."""
    named = _construct(exc, text, source)
    if named is not None:
        return named
    expected = _accepted(exc)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token = exc.token
        span = Span(source, token.line, token.column, token.end_line, token.end_column)
        message = f"unexpected '{token}'{_expected_text(parser, expected)}"
        return NesySyntaxError(message, span, text)
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
            message = "unexpected end of input" + _expected_text(parser, expected)
        return NesySyntaxError(message, span, text)
    assert isinstance(exc, UnexpectedCharacters)
    span = Span(source, exc.line, exc.column, exc.line, exc.column + 1)
    rest = text[exc.pos_in_stream :]
    if rest.startswith("%*"):
        return NesySyntaxError("unterminated block comment: missing '*%'", span, text)
    if rest.startswith('"'):
        return NesySyntaxError("unterminated string: missing '\"'", span, text)
    return NesySyntaxError(
        f"unexpected character {exc.char!r}{_expected_text(parser, expected)}", span, text
    )
