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
