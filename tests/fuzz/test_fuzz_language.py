"""Property: any text given to the language parsers (the nesy dialect and ProbLog's) gives a
program or a NesyError, never another exception (issue 16). Inputs are token soups, byte-level
noise and mutations of the shipped programs; the seed is fixed (derandomize) and the examples
few, so the run takes seconds."""

from __future__ import annotations

import contextlib
from pathlib import Path

from fuzz_settings import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from nesy.errors import NesyError
from nesy.lang import parse
from nesy.lang.prolog import parse_prolog

PROGRAMS = sorted((Path(__file__).resolve().parents[2] / "programs").glob("*.nesy"))
SEEDS = [p.read_text() for p in PROGRAMS] + [
    "0.3::a(1). 0.4::a(2). f(L) :- findall(X, a(X), L). query(f(_)).",
    "p(X) :- X is 2 ** 10, between(1, 3, Y), Y < X. query(p(_)).",
]
TOKENS = [
    *"()[]{}.,;:|-+*/\\=<>!?%#'\"_ \n\t",
    ":-",
    "::",
    "..",
    "**",
    "//",
    "==",
    "\\==",
    "=..",
    "is",
    "not",
    "nn",
    "query",
    "evidence",
    "#const",
    "#show",
    "#defined",
    "tensor",
    "0.5",
    "1",
    "0",
    "-1",
    "X",
    "Y",
    "_",
    "a",
    "p",
    "f(",
    "[0..9]",
    "1..3",
    "9" * 5000,
    "1e308",
    "0." + "9" * 400,
    "\u00e9",
    "\u0661",
    "\x00",
    "%comment\n",
    "/*",
    "*/",
    '"str"',
    "'q'",
    "f(" * 300,
    ")" * 300,
    "[" * 300,
    "]" * 300,
]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@st.composite
def mutated(draw) -> str:
    """A shipped program with a few spans deleted, duplicated or replaced by tokens."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        kind = draw(st.sampled_from(["delete", "duplicate", "insert"]))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "duplicate":
            text = text[:j] + text[i:j] * draw(st.integers(2, 50)) + text[j:]
        else:
            text = text[:i] + draw(token_soup) + text[i:]
    return text


programs = st.one_of(token_soup, mutated(), st.text(max_size=200))


@FUZZ
@given(programs)
def test_the_nesy_parser_answers_or_raises_a_nesy_error(text):
    with contextlib.suppress(NesyError):
        parse(text)


@FUZZ
@given(programs)
def test_the_problog_parser_answers_or_raises_a_nesy_error(text):
    with contextlib.suppress(NesyError):
        parse_prolog(text)
