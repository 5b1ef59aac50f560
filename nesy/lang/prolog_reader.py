"""A hand-written reader for the ProbLog dialect's common case: tokens straight to terms.

The grammar in ``prolog.lark`` stays the definition of the dialect and the source of its error
messages; lark's parser builds about four tree nodes per token, which made parsing most of the
time of answering a small program (12 of 20 s for 3,000 noisy-or queries). This reader builds
the same clauses directly, by precedence climbing over the same operator table, and gives up
(:class:`Unreadable`) on anything it is not sure to read exactly as the grammar does: a syntax
error, a rare operator, a construct where lark's first-match lexer has quirks. The caller then
parses with lark, which either reads it or raises the positioned error. So the two agree by
construction wherever this reader answers (``tests/lang/test_prolog_reader.py`` checks it).
"""

from __future__ import annotations

import bisect
import re

from nesy.lang.prolog_term import NIL, Float, Struct, Term, Text, Var, make_list, number

__all__ = ["Unreadable", "read_clauses"]


class Unreadable(Exception):
    """The reader is not sure: parse with the grammar instead."""


# Skipped between tokens: white space, % line comments, /* block comments */.
_SKIP = re.compile(r"(?:[ \t\f\r\n]+|%[^\n]*|/\*(?:.|\n)*?\*/)*")
# A symbol atom directly before "(" is a functor (the grammar's SYMBOL_FUNCTOR, tried first).
_SYMBOL_FUNCTOR = re.compile(r"(?!\\\+\()[-+*/\\^<>=~:?@#&$]+(?=\()")
_OPERAND = re.compile(
    r"""(?P<float>[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)
      | (?P<int>[0-9]+)
      | (?P<var>[A-Z_][A-Za-z0-9_]*)
      | (?P<name>[a-z][A-Za-z0-9_]*)
      | (?P<quoted>'(?:[^'\\]|\\.|'')*')
      | (?P<string>"(?:[^"\\]|\\.|"")*")
      | (?P<neck>:-|<-)
      | (?P<prefix>\\\+|\\|-|\+)
      | (?P<open>[(\[{!])""",
    re.VERBOSE,
)
# After a term: the operators, longest first where one is a prefix of another, as the
# grammar's terminals order them. Left out on purpose: '|' as disjunction, '<<', '>>', '/\',
# '\/' (lark's first-match lexer reads some of them its own way), so they go to lark.
_OPERATOR = re.compile(
    r"""(?P<end>\.(?=[\s%]|$))
      | (?P<rare><<|>>|/\\|\\/)
      | (?P<op>\*->|->|:-|<-|::|\*\*|=\\=|=:=|=\.\.|\\==|@=<|@>=|==|\\=|=<|>=|@<|@>|=|<|>
              |//|\*|/|\+|-|,|;|\^|(?:is|mod|rem|div|xor)(?![A-Za-z0-9_]))
      | (?P<close>[)\]}|])""",
    re.VERBOSE,
)

# operator: (its priority, the most its left operand may have, the most its right may have)
_INFIX: dict[str, tuple[int, int, int]] = {
    ":-": (1200, 1100, 1100),
    "<-": (1200, 1100, 1100),
    ";": (1100, 1050, 1100),
    "->": (1050, 1000, 1050),
    "*->": (1050, 1000, 1050),
    ",": (1000, 999, 1000),
    "::": (1000, 999, 999),
    "**": (200, 0, 0),
    "^": (200, 0, 200),
}
_INFIX.update(
    dict.fromkeys(
        ("=\\=", "=:=", "=..", "\\==", "@=<", "@>=", "==", "\\=", "=<", ">=", "@<", "@>")
        + ("is", "=", "<", ">"),
        (700, 500, 500),
    )
)
_INFIX.update(dict.fromkeys(("xor", "+", "-"), (500, 500, 400)))
_INFIX.update(dict.fromkeys(("mod", "rem", "div", "//", "*", "/"), (400, 400, 200)))
# prefix operator: (its priority, the most its operand may have)
_PREFIX = {"\\+": (900, 900), "not": (900, 900), "-": (200, 200), "+": (200, 200), "\\": (200, 200)}
_CLOSERS = {"(": ")", "{": "}"}

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "0": "\0"}
_ESCAPE = re.compile(r"\\(.)|''|\"\"")


def unquote(body: str) -> str:
    """The text of a quoted atom or string body, escapes resolved."""

    def one(match: re.Match[str]) -> str:
        escaped: str | None = match.group(1)
        if escaped is None:
            return str(match.group(0)[0])
        return _ESCAPES.get(escaped, escaped)

    return _ESCAPE.sub(one, body) if "\\" in body or "''" in body or '""' in body else body


def read_clauses(text: str) -> list[tuple[bool, Term, tuple[int, int, int, int]]]:
    """Each clause as (is a directive, its term, its span as line, column, end line, end
    column); raises :class:`Unreadable` where the grammar must decide."""
    return _Reader(text).clauses()


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.variables: dict[str, Var] = {}
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def skip(self) -> int:
        skipped = _SKIP.match(self.text, self.pos)
        assert skipped is not None  # it matches the empty string
        self.pos = skipped.end()
        return self.pos

    def clauses(self) -> list[tuple[bool, Term, tuple[int, int, int, int]]]:
        found = []
        while self.skip() < len(self.text):
            start = self.pos
            self.variables = {}
            directive = False
            neck = _OPERAND.match(self.text, start)
            if neck and neck.lastgroup == "neck" and not _SYMBOL_FUNCTOR.match(self.text, start):
                self.pos, directive = neck.end(), True
                term, _ = self.term(1100)
            else:
                term, _ = self.term(1200)
            self.skip()
            end = _OPERATOR.match(self.text, self.pos)
            if end is None or end.lastgroup != "end":
                raise Unreadable
            self.pos = end.end()
            found.append((directive, term, (*self.where(start), *self.where(self.pos))))
        return found

    def term(self, most: int) -> tuple[Term, int]:
        """A term of priority at most ``most`` and its priority (precedence climbing)."""
        left, priority = self.operand(most)
        text = self.text
        while True:
            self.skip()
            found = _OPERATOR.match(text, self.pos)
            if found is None or found.lastgroup != "op":
                if found is not None and found.lastgroup == "rare":
                    raise Unreadable
                return left, priority
            op = found.group()
            op_priority, left_most, right_most = _INFIX[op]
            if op_priority > most or priority > left_most:
                return left, priority
            self.pos = found.end()
            right, _ = self.term(right_most)
            left, priority = Struct(op, (left, right)), op_priority

    def operand(self, most: int) -> tuple[Term, int]:
        text = self.text
        before = self.pos
        self.skip()
        comment = text.find("/*", before, self.pos)
        if comment >= 0 and _SYMBOL_FUNCTOR.match(text, comment):
            raise Unreadable  # lark reads "/*(" as a functor before it reads a comment
        functor = _SYMBOL_FUNCTOR.match(text, self.pos)
        if functor:
            self.pos = functor.end() + 1
            return self.compound(functor.group()), 0
        found = _OPERAND.match(text, self.pos)
        if found is None:
            raise Unreadable
        kind, token = found.lastgroup, found.group()
        self.pos = found.end()
        if kind == "name":
            if token == "not":
                return self.prefix(token, most)
            return self.after_name(token), 0
        if kind == "var":
            if token == "_":
                return Var("_"), 0
            variable = self.variables.get(token)
            if variable is None:
                variable = self.variables[token] = Var(token)
            return variable, 0
        if kind == "int":
            if len(token) > 4000:
                raise Unreadable
            return int(token), 0
        if kind == "float":
            return Float(token), 0
        if kind == "quoted":
            return self.after_name(unquote(token[1:-1])), 0
        if kind == "string":
            return Text(unquote(token[1:-1])), 0
        if kind == "prefix":
            return self.prefix(token, most)
        if kind == "open":
            return self.bracketed(token), 0
        raise Unreadable  # a neck inside a term

    def prefix(self, op: str, most: int) -> tuple[Term, int]:
        op_priority, operand_most = _PREFIX[op]
        if op_priority > most:
            raise Unreadable
        arg, _ = self.term(operand_most)
        if op == "-" and isinstance(arg, int | float):
            return number(-arg), op_priority
        if op == "+" and isinstance(arg, int | float):
            return arg, op_priority
        return Struct("\\+" if op == "not" else op, (arg,)), op_priority

    def after_name(self, name: str) -> Term:
        if self.text.startswith("(", self.skip()):
            self.pos += 1
            return self.compound(name)
        return Struct(name)

    def compound(self, name: str) -> Struct:
        """``name(`` read: the arguments and the closing parenthesis."""
        args = self.arguments()
        self.close(")")
        return Struct(name, tuple(args))

    def arguments(self) -> list[Term]:
        args = [self.term(999)[0]]
        while self.text.startswith(",", self.skip()):
            self.pos += 1
            args.append(self.term(999)[0])
        return args

    def close(self, closer: str) -> None:
        if not self.text.startswith(closer, self.skip()):
            raise Unreadable
        self.pos += 1

    def bracketed(self, opener: str) -> Term:
        if opener == "!":
            return Struct("!")
        if opener == "[":
            if self.text.startswith("]", self.skip()):
                self.pos += 1
                return NIL
            items = self.arguments()
            tail: Term = NIL
            if self.text.startswith("|", self.skip()):
                self.pos += 1
                tail = self.term(999)[0]
            self.close("]")
            return make_list(items, tail)
        inner, _ = self.term(1200)
        self.close(_CLOSERS[opener])
        return inner if opener == "(" else Struct("{}", (inner,))
