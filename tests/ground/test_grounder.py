import clingo
import pytest

from nesy.errors import GroundingError
from nesy.ground import ground, to_clingo
from nesy.lang import parse


def _symbols(text: str) -> set[str]:
    program = ground(parse(text))
    return {str(s) for s in program.symbols.values()} | {str(s) for s in program.facts}


def test_facts_and_rules_reach_the_observer():
    gp = ground(parse("e(1,2). e(2,3). p(X,Y) :- e(X,Y). p(X,Z) :- e(X,Y), p(Y,Z)."))
    facts = {str(s) for s in gp.facts}
    assert {"e(1,2)", "e(2,3)", "p(1,2)", "p(2,3)", "p(1,3)"} <= facts


def test_probabilistic_fact_is_a_free_choice_over_a_reserved_atom():
    gp = ground(parse("0.3::e(1,2). p :- e(1,2)."))
    choices = [r for r in gp.rules if r.choice]
    assert len(choices) == 1
    (atom,) = choices[0].head
    assert str(gp.symbols[atom]) == "__nesy_pf(0,e(1,2),())"


def test_probabilistic_rule_keys_every_rule_variable():
    text = to_clingo(parse("b(1,2). b(1,3). 0.5::a(X) :- b(X,Y)."))
    assert "__nesy_pf(2,a(X),(X,Y))" in text
    names = _symbols("b(1,2). b(1,3). 0.5::a(X) :- b(X,Y).")
    # one independent choice per ground rule instance, as in ProbLog
    assert {"__nesy_pf(2,a(1),(1,2))", "__nesy_pf(2,a(1),(1,3))"} <= names


def test_neural_predicate_grounds_over_tensor_terms():
    names = _symbols("nn(net, [X], Y, [0..2]) :: d(X, Y). s(Z) :- d(tensor(a), Z). query(s(Z)).")
    assert {f"d(tensor(a),{v})" for v in range(3)} <= names
    assert "__nesy_nn(0,(tensor(a),),1,d(tensor(a),1))" in names


def test_annotated_disjunction_has_one_choice_per_head():
    names = _symbols("c(1). c(2). 0.5::h(C); 0.5::t(C) :- c(C).")
    assert "__nesy_ad(2,(1,),0,h(1))" in names
    assert "__nesy_ad(2,(2,),1,t(2))" in names


def test_aggregates_become_weight_rules_or_facts():
    gp = ground(parse("0.5::p(1). 0.5::p(2). q :- #count{X : p(X)} >= 2."))
    assert gp.weight_rules or any(len(r.body) == 2 for r in gp.rules)


def test_clingo_errors_become_grounding_errors():
    with pytest.raises(GroundingError, match="clingo could not ground .*unexpected"):
        ground(parse("p."), extra_tensors=("tensor(",))


def test_symbols_are_clingo_symbols():
    gp = ground(parse("0.5::a."))
    assert all(isinstance(s, clingo.Symbol) for s in gp.symbols.values())


@pytest.mark.parametrize(
    ("text", "operation", "line"),
    [
        ("q(0;1;2).\np(X) :- q(Y), X = 6/Y.", "(6/Y)", 2),
        ("q(a).\n\np(X) :- q(Y), X = Y+1.", "(Y+1)", 3),
        ("q(0).\n0.5::p(X) :- q(Y), X = 3 mod Y.", "", 2),
    ],
)
def test_arithmetic_clingo_cannot_evaluate_is_an_error_not_a_dropped_rule(text, operation, line):
    with pytest.raises(GroundingError, match="clingo cannot evaluate .* silently drop") as info:
        ground(parse(text, "prog.nesy"))
    assert operation in info.value.message
    assert (info.value.span.source, info.value.span.line) == ("prog.nesy", line)


def test_defined_declaration_reaches_clingo():
    program = parse("#defined q/1. p :- q(1).")
    assert "#defined q/1." in to_clingo(program)
    assert _symbols("#defined q/1. p :- q(1). r.") == {"r"}


def test_the_choice_table_says_what_each_choice_stands_for():
    program = parse(
        "c(1). c(2).\n"
        "0.4::f(C) :- c(C).\n"
        "0.5::h(C); 0.3::t(C) :- c(C).\n"
        "nn(net, [X], Y, [0..2]) :: d(X, Y).\n"
        "s(Z) :- d(tensor(a), Z)."
    )
    gp = ground(program)
    table = gp.choices
    assert sorted((str(f.head), f.probability) for f in table.facts) == [
        ("f(1)", 0.4),
        ("f(2)", 0.4),
    ]
    assert {f.span.line for f in table.facts} == {2}
    ads = sorted((g for g in table.groups if g.network is None), key=lambda g: str(g.heads))
    assert [[str(h) for h in g.heads] for g in ads] == [
        ["h(1)", "t(1)", "None"],
        ["h(2)", "t(2)", "None"],
    ]
    assert all(g.probabilities == (0.5, 0.3, 1 - 0.8) and g.span.line == 3 for g in ads)
    assert all(g.atoms[-1] is None for g in ads)  # the residual "no head" has no atom
    (neural,) = [g for g in table.groups if g.network == "net"]
    assert [str(h) for h in neural.heads] == [f"d(tensor(a),{v})" for v in range(3)]
    assert [str(i) for i in neural.inputs] == ["tensor(a)"] and neural.probabilities == ()
    assert neural.span.line == 4
    # every choice atom is in the table, and each leads to the group or fact that holds it
    for atom, symbol in gp.symbols.items():
        if symbol.name in ("__nesy_pf", "__nesy_ad", "__nesy_nn"):
            assert atom in table
    for g, group in enumerate(table.groups):
        assert all(table.group_of[a] == g for a in group.atoms if a is not None)
