"""Prolog terms for the ProbLog dialect: variables, compound terms, numbers and strings.

A term is a :class:`Var`, a :class:`Struct` (an atom is a ``Struct`` without arguments; a list is
``'.'(Head, Tail)`` ending in ``[]``), a Python ``int`` or ``float``, or a :class:`Text` (a
double-quoted string). Terms render as ProbLog 2.3 prints them, so that answers read the same.
"""

from __future__ import annotations

import itertools
import re
from typing import TypeGuard

__all__ = [
    "Var",
    "Struct",
    "Text",
    "Term",
    "NIL",
    "TRUE",
    "make_list",
    "list_items",
    "render",
    "render_answer",
    "is_callable",
    "functor_of",
]

_fresh = itertools.count()


class Var:
    """A logic variable; two variables are the same only if they are the same object."""

    __slots__ = ("name", "id")

    def __init__(self, name: str = "_"):
        self.name = name
        self.id = next(_fresh)

    def __repr__(self) -> str:
        return f"_{self.id}" if self.name == "_" else self.name


class Struct:
    """``name(args...)``; an atom when ``args`` is empty. Immutable, hashed once."""

    __slots__ = ("name", "args", "_hash")

    def __init__(self, name: str, args: tuple[Term, ...] = ()):
        self.name = name
        self.args = args
        self._hash = hash((name, args))

    def __eq__(self, other: object) -> bool:
        return (
            self is other
            or isinstance(other, Struct)
            and self._hash == other._hash
            and self.name == other.name
            and self.args == other.args
        )

    def __hash__(self) -> int:
        return self._hash

    @property
    def signature(self) -> tuple[str, int]:
        return (self.name, len(self.args))

    def __repr__(self) -> str:
        return render(self)


class Text:
    """A double-quoted string (ProbLog keeps it apart from atoms)."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("Text", self.value))

    def __repr__(self) -> str:
        return render(self)


class Float(float):
    """A Prolog float. Equal only to floats, so that ``p(1.0)`` and ``p(1)`` are different terms
    (they do not unify, and tables keep them apart) as in ProbLog; ``1.0 =:= 1`` still holds,
    since arithmetic compares values. Every float that enters a term is one (see :func:`number`).
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and float.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = float.__hash__


def number(value: int | float) -> int | Float:
    """``value`` as a term: a float becomes a :class:`Float`."""
    return Float(value) if isinstance(value, float) else value


Term = Var | Struct | Text | int | float

NIL = Struct("[]")
TRUE = Struct("true")


def make_list(items: list[Term] | tuple[Term, ...], tail: Term = NIL) -> Term:
    result = tail
    for item in reversed(items):
        result = Struct(".", (item, result))
    return result


def list_items(term: Term) -> tuple[list[Term], Term]:
    """The items of a (partial) list and what ends it (``[]`` for a proper list)."""
    items = []
    while isinstance(term, Struct) and term.name == "." and len(term.args) == 2:
        items.append(term.args[0])
        term = term.args[1]
    return items, term


def is_callable(term: Term) -> bool:
    return isinstance(term, Struct)


def functor_of(term: Struct) -> str:
    return f"{term.name}/{len(term.args)}"


# --- rendering, as ProbLog prints terms -----------------------------------------------------

_PLAIN_ATOM = re.compile(r"[a-z][A-Za-z0-9_]*$")
#: infix operators: priority and type, as ProbLog 2.3 declares them (ISO's table)
_INFIX: dict[str, tuple[int, str]] = {
    ":-": (1200, "xfx"), "<-": (1200, "xfx"), ";": (1100, "xfy"), "|": (1100, "xfy"),
    "->": (1050, "xfy"), "*->": (1050, "xfy"), ",": (1000, "xfy"), "::": (1000, "xfx"),
    **dict.fromkeys(
        ("=", "\\=", "==", "\\==", "@<", "@>", "@=<", "@>=", "=..", "is", "=:=", "=\\=",
         "<", ">", "=<", ">="),
        (700, "xfx"),
    ),
    **dict.fromkeys(("+", "-", "/\\", "\\/", "xor"), (500, "yfx")),
    **dict.fromkeys(("*", "/", "//", "rem", "mod", "div", "<<", ">>"), (400, "yfx")),
    "**": (200, "xfx"), "^": (200, "xfy"),
}  # fmt: skip
#: prefix operators written as operators (``-a``), all fy; ``\\+`` is written ``\\+(a)``
_PREFIX = {"-": 200, "+": 200, "\\": 200}


def _atom(name: str) -> str:
    if _PLAIN_ATOM.match(name) or name in ("[]", "!", ";", "{}"):
        return name
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _number(value: int | float) -> str:
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else str(value)
    return str(value)


def render_answer(term: Term) -> str:
    """An answer as ProbLog 2.3 prints it: its n variables named ``X<n+1>`` ... ``X<2n>`` in
    order of appearance (what ProbLog prints for a query's unbound variables in simple cases).
    """
    names: dict[object, str] = {}

    def collect(t: Term) -> None:
        if isinstance(t, Var) or _is_numbered_variable(t):
            names.setdefault(_variable_key(t), "")
        elif isinstance(t, Struct):
            for a in t.args:
                collect(a)

    collect(term)
    count = len(names)
    for i, key in enumerate(names):
        names[key] = f"X{count + i + 1}"
    return render(term, names)


def _is_numbered_variable(t: Term) -> TypeGuard[Struct]:
    """``'$VAR'(n)``: a variable numbered by ``numbervars``, rendered like a variable."""
    return (
        isinstance(t, Struct)
        and t.name == "$VAR"
        and len(t.args) == 1
        and isinstance(t.args[0], int)
    )


def _variable_key(t: Var | Struct) -> object:
    return t if isinstance(t, Var) else ("$VAR", t.args[0])


def render(term: Term, names: dict[object, str] | None = None) -> str:
    """ProbLog's text for a term: ``f(a,[1, 2],'New York',1+2)``, operators written with the
    parentheses their priorities need (``a*(b+c)``, ``a-(b-c)``); unbound variables as ``_``
    unless ``names`` names them."""
    return _render(term, names or {})[0]


def _render(term: Term, names: dict[object, str]) -> tuple[str, int]:
    """The text of ``term`` and its priority (0 unless it is written as an operator)."""
    if isinstance(term, Var) or _is_numbered_variable(term):
        return names.get(_variable_key(term), "_"), 0
    if isinstance(term, bool):  # never produced, but never print True as a number
        return str(term).lower(), 0
    if isinstance(term, int | float):
        return _number(term), 0
    if isinstance(term, Text):
        return '"' + term.value.replace("\\", "\\\\").replace('"', '\\"') + '"', 0
    if term.name == "." and len(term.args) == 2:
        items, tail = list_items(term)
        inner = ", ".join(_argument(i, names) for i in items)
        return (f"[{inner}]" if tail == NIL else f"[{inner} | {_argument(tail, names)}]"), 0
    if not term.args:
        return _atom(term.name), 0
    if len(term.args) == 2 and term.name in _INFIX:
        priority, kind = _INFIX[term.name]
        left = _operand(term.args[0], names, priority if kind == "yfx" else priority - 1)
        right = _operand(term.args[1], names, priority if kind == "xfy" else priority - 1)
        if term.name == ",":
            return f"{left}, {right}", priority
        # ProbLog writes symbolic operators tight (``a-b``) and word operators spaced
        spaced = term.name.isalpha()
        return (f"{left} {term.name} {right}" if spaced else f"{left}{term.name}{right}"), priority
    if len(term.args) == 1 and term.name == "\\+":
        return f"\\+({_operand(term.args[0], names, 1200)})", 0
    if len(term.args) == 1 and term.name in _PREFIX:
        argument = term.args[0]
        text, priority = _render(argument, names)
        # as ProbLog: ``-a``, but ``-(1)`` (not the number -1) and ``-(a-b)``, ``-(-a)``
        prefixed = isinstance(argument, Struct) and (argument.name, len(argument.args)) in {
            (name, 1) for name in _PREFIX
        }
        if priority == 0 and not isinstance(argument, int | float) and not prefixed:
            return f"{term.name}{text}", _PREFIX[term.name]
        return f"{term.name}({text})", 0
    arguments = ",".join(_argument(a, names) for a in term.args)
    return f"{_atom(term.name)}({arguments})", 0


def _argument(term: Term, names: dict[object, str]) -> str:
    return _operand(term, names, 999)


def _operand(term: Term, names: dict[object, str], limit: int) -> str:
    text, priority = _render(term, names)
    return f"({text})" if priority > limit else text
