"""Prolog terms for the ProbLog dialect: variables, compound terms, numbers and strings.

A term is a :class:`Var`, a :class:`Struct` (an atom is a ``Struct`` without arguments; a list is
``'.'(Head, Tail)`` ending in ``[]``), a Python ``int`` or ``float``, or a :class:`Text` (a
double-quoted string). Terms render as ProbLog 2.3 prints them, so that answers read the same.
"""

from __future__ import annotations

import itertools
import re

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
_INFIX = {
    "+", "-", "*", "/", "//", "**", "^", "mod", "rem", "div", "=", "\\=", "==", "\\==",
    "<", ">", "=<", ">=", "=:=", "=\\=", "is", "=..", "@<", "@>", "@=<", "@>=", ":-", "->",
    ";", ",", "::", "<-", "xor", "/\\", "\\/", "<<", ">>",
}  # fmt: skip


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
        if _is_variable(t):
            names.setdefault(_variable_key(t), "")
        elif isinstance(t, Struct):
            for a in t.args:
                collect(a)

    collect(term)
    count = len(names)
    for i, key in enumerate(names):
        names[key] = f"X{count + i + 1}"
    return render(term, names)


def _is_variable(t: Term) -> bool:
    return isinstance(t, Var) or (
        isinstance(t, Struct)
        and t.name == "$VAR"
        and len(t.args) == 1
        and isinstance(t.args[0], int)
    )


def _variable_key(t: Term) -> object:
    return t if isinstance(t, Var) else ("$VAR", t.args[0])  # type: ignore[union-attr]


def render(term: Term, names: dict[object, str] | None = None) -> str:
    """ProbLog's text for a term: ``f(a,[1, 2],'New York',1+2)``; unbound variables as ``_``
    unless ``names`` names them."""
    if _is_variable(term):
        return (names or {}).get(_variable_key(term), "_")
    if isinstance(term, bool):  # never produced, but never print True as a number
        return str(term).lower()
    if isinstance(term, int | float):
        return _number(term)
    if isinstance(term, Text):
        return '"' + term.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if term.name == "." and len(term.args) == 2:
        items, tail = list_items(term)
        inner = ", ".join(render(i, names) for i in items)
        return f"[{inner}]" if tail == NIL else f"[{inner}|{render(tail, names)}]"
    if not term.args:
        return _atom(term.name)
    if len(term.args) == 2 and term.name in _INFIX:
        left, right = (render(a, names) for a in term.args)
        if term.name == ",":
            return f"({left},{right})"
        # ProbLog writes symbolic operators tight (``a-b``) and word operators spaced
        return f"{left} {term.name} {right}" if term.name.isalpha() else f"{left}{term.name}{right}"
    if len(term.args) == 1 and term.name == "\\+":
        return f"\\+({render(term.args[0], names)})"
    if len(term.args) == 1 and term.name == "-" and isinstance(term.args[0], int | float):
        return f"{term.name}({render(term.args[0], names)})"
    return f"{_atom(term.name)}({','.join(render(a, names) for a in term.args)})"
