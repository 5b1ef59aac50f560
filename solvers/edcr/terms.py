"""Class and condition names as terms of the nesy language (and of clingo).

A rule set is written out as a program over facts ``pred(X, Class)`` and ``holds(X, "cond")``
(:meth:`~solvers.edcr.rules.RuleSet.to_text`); so that the program means what the rules do, each
name must be written so that it parses back to itself, and two names never to one term:

- a class name is a constant when it is a lower-case identifier (not ``not``, which clingo takes
  for negation), an integer when it is one in canonical form within clingo's 32-bit range (clingo
  wraps ``99999999999`` around to ``1215752191``, and ``007`` would read back as ``7``), and a
  string otherwise;
- a condition name is always a string.

Strings escape ``\\``, ``"`` and line feeds, the escapes both nesy and clingo read. Three things
no string can hold: a NUL (clingo's lexer stops there), a carriage return (reading a program
file turns it into a line feed, which ends the string) and a lone surrogate (not UTF-8). Names
with them are refused (:func:`unwritable`) where they are read.

Examples
--------
>>> term("shirt"), term("T-shirt"), term("7"), term("007"), term("not")
('shirt', '"T-shirt"', '7', '"007"', '"not"')
>>> print(string('say "hi"\\nagain'))
"say \\"hi\\"\\nagain"
>>> unwritable("a\\rb")
'a carriage return'
"""

from __future__ import annotations

import re

__all__ = ["term", "string", "unwritable"]

_CONSTANT = re.compile(r"[a-z][A-Za-z0-9_]*")
_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,9}")
_INT32 = 2**31 - 1
_KEYWORDS = ("not",)  # clingo's only lower-case keyword; nesy's are keywords only in place
_UNWRITABLE = (
    (re.compile("\x00"), "a NUL character"),
    (re.compile("\r"), "a carriage return"),
    (re.compile("[\ud800-\udfff]"), "a lone surrogate (not UTF-8)"),
)


def string(name: str) -> str:
    """``name`` as a double-quoted string of the nesy language and clingo."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def term(name: str) -> str:
    """A class name as a term: a constant, an integer or a string (see the module docstring)."""
    if _CONSTANT.fullmatch(name) and name not in _KEYWORDS:
        return name
    if _INTEGER.fullmatch(name) and abs(int(name)) <= _INT32:
        return name
    return string(name)


def unwritable(name: str) -> str | None:
    """What in ``name`` no program text can hold, or ``None`` when it can be written."""
    for pattern, what in _UNWRITABLE:
        if pattern.search(name):
            return what
    return None
