"""A program that is already ground is read without clingo, into the ground program clingo's
observer would report: the same atoms, the same table of choices, the same answers."""

from __future__ import annotations

import pytest

import nesy
from nesy.ground import ground
from nesy.ground.propositional import ground_propositional
from nesy.infer import compile as nesy_compile
from nesy.lang import parse

GROUND = [
    "0.3::a. 0.6::b. c :- a. c :- b, not a. query(c). query(a).",
    "0.2::x; 0.5::y. 0.4::z. p :- x, z. p :- y. q :- not p. evidence(z). query(p). query(q).",
    "0.6::e1. 0.5::e2. 0.7::e3. r1 :- e1. r2 :- e2, r1. r1 :- e3, r2. query(r2).",
    "#defined undefined/0. 0.5::a. p :- a, undefined. query(p). query(undefined).",
    "0.5::a. t. p :- a, t. q :- not t. query(p). query(q).",
]


def _symbols(program) -> set[str]:
    return {str(s) for s in program.symbols.values()}


@pytest.mark.parametrize("text", GROUND)
def test_answers_equal_clingos(text, monkeypatch):
    program = parse(text)
    assert ground_propositional(program) is not None
    direct = nesy.query(program)
    monkeypatch.setattr(nesy_compile, "ground_propositional", lambda program: None)
    through_clingo = nesy.query(program)
    assert direct.keys() == through_clingo.keys()
    for atom, p in through_clingo.items():
        assert direct[atom] == pytest.approx(p, abs=1e-12), atom


def _table(program) -> tuple[list[tuple], list[tuple]]:
    """The table of choices without atom numbers (clingo numbers atoms its own way)."""
    table = program.choices
    facts = [(str(f.head), f.probability, f.span) for f in table.facts]
    groups = [
        (tuple(str(h) for h in g.heads), g.probabilities, g.network, g.span) for g in table.groups
    ]
    return facts, groups


def test_choices_are_clingos():
    program = parse("0.3::a. 0.2::x; 0.5::y. c :- a, x.")
    direct = ground_propositional(program)
    assert direct is not None
    through_clingo = ground(program)
    user_atoms = {s for s in _symbols(through_clingo) if not s.startswith("__nesy_")}
    assert _symbols(direct) == user_atoms  # choice atoms have no symbol: the table has them
    assert _table(direct) == _table(through_clingo)
    facts, groups = _table(direct)
    assert facts == [("a", 0.3, program.statements[0].span)]
    assert groups == [(("x", "y", "None"), (0.2, 0.5, 1 - 0.7), None, program.statements[1].span)]
    choice_rules = [r.head for r in direct.rules if r.choice]
    assert choice_rules == [
        (direct.choices.facts[0].atom,),
        tuple(a for a in direct.choices.groups[0].atoms if a is not None),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "e(1). p(X) :- e(X).",  # arguments
        "0.5::a :- b. b.",  # a probabilistic rule
        "a :- b, 1 < 2. b.",  # a comparison
        "a :- #count{X: b(X)} > 1. b(1).",  # an aggregate
    ],
)
def test_what_is_not_ground_and_propositional_goes_to_clingo(text):
    assert ground_propositional(parse(text)) is None
