"""Rule sets: application semantics, the written-out program (checked with clingo), rule files."""

import json

import clingo
import numpy as np
import pytest

from nesy.errors import ConfigError, DataError
from nesy.lang import parse
from solvers.edcr.conditions import Conditions
from solvers.edcr.rules import (
    ABSTAIN,
    CorrectionRule,
    DetectionRule,
    RuleSet,
    learn_rules,
    read_rules,
    write_rules,
)

CONDITIONS = Conditions(
    ("sec=b", "bin_a<0.05", "main_coarse=x"),
    np.array([[1, 0, 0], [0, 1, 0], [1, 1, 1], [0, 0, 0], [1, 0, 1]], dtype=bool),
)
PREDICTIONS = np.array([0, 0, 1, 1, 0])
RULES = RuleSet(
    ("a", "b", "T-shirt/top"),
    (DetectionRule(0, ("sec=b", "bin_a<0.05")),),
    (CorrectionRule(1, (("sec=b", 0),)), CorrectionRule(2, (("main_coarse=x", 1),))),
)


def test_detection_withdraws_and_correction_relabels():
    applied = RULES.apply(PREDICTIONS, CONDITIONS)
    assert applied.flagged.tolist() == [True, True, False, False, True]
    assert applied.corrected.tolist() == [True, False, True, False, True]
    # sample 0: flagged and corrected to b; sample 1: flagged only; 2: pred b -> class 2 by the
    # second correction; 4: corrected to b (its coarse condition pairs with pred b, not a)
    assert applied.labels.tolist() == [1, ABSTAIN, 2, 1, 1]


def test_order_decides_where_both_fire():
    later = RuleSet(RULES.classes, RULES.detection, RULES.correction, "correct-detect")
    assert later.apply(PREDICTIONS, CONDITIONS).labels.tolist() == [ABSTAIN, ABSTAIN, 2, 1, ABSTAIN]


def test_rules_find_columns_by_name_in_any_order():
    shuffled = CONDITIONS.select(list(reversed(CONDITIONS.names)))
    assert (
        RULES.apply(PREDICTIONS, shuffled).labels == RULES.apply(PREDICTIONS, CONDITIONS).labels
    ).all()
    with pytest.raises(DataError, match="no column named 'sec=b'"):
        RULES.apply(PREDICTIONS, CONDITIONS.select(["bin_a<0.05", "main_coarse=x"]))


def _atoms(program, facts):
    control = clingo.Control(["--warn=none"])
    control.add("base", [], program + "\n" + facts)
    control.ground([("base", [])])
    with control.solve(yield_=True) as handle:
        model = next(iter(handle))
        return {str(s) for s in model.symbols(shown=True) if s.name in ("error", "corrected")}


def test_written_program_fires_exactly_where_apply_does():
    text = RULES.to_text()
    parse(text)  # a valid nesy program
    facts = []
    terms = ["a", "b", '"T-shirt/top"']
    for x, p in enumerate(PREDICTIONS):
        facts.append(f"pred({x}, {terms[p]}).")
        for c, name in enumerate(CONDITIONS.names):
            if CONDITIONS.values[x, c]:
                facts.append(f'holds({x}, "{name}").')
    atoms = _atoms(text, "\n".join(facts))
    applied = RULES.apply(PREDICTIONS, CONDITIONS)
    assert {a for a in atoms if a.startswith("error")} == {
        f"error({x})" for x in np.flatnonzero(applied.flagged)
    }
    corrected = {a for a in atoms if a.startswith("corrected")}
    assert corrected == {"corrected(0,b)", 'corrected(2,"T-shirt/top")', "corrected(4,b)"}


def test_rule_file_round_trips(tmp_path):
    path = write_rules(tmp_path / "rules.json", RULES)
    assert read_rules(path) == RULES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"rules.json:1:2: not JSON"),
        ('{"format": "other"}', "not an EDCR rule file"),
        ('{"format": "nesy-edcr-rules", "classes": ["a"]}', "malformed"),
    ],
)
def test_bad_rule_files_are_refused(tmp_path, text, message):
    path = tmp_path / "rules.json"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_rules(path)


def test_learn_rules_learns_both_kinds_and_checks_its_input(make_secondary_task):
    predictions, labels, conditions = make_secondary_task(0, 400)
    rules = learn_rules(predictions, labels, conditions, ["0", "1", "2"], detector="det")
    assert rules.detection and rules.correction
    before = (predictions == labels).mean()
    after = (rules.apply(predictions, conditions).labels == labels).mean()
    assert after > before
    assert json.loads(json.dumps(rules.to_json()))["meta"]["detector"] == "det"
    with pytest.raises(ConfigError, match="unknown detector 'x'"):
        learn_rules(predictions, labels, conditions, ["0", "1", "2"], detector="x")
    with pytest.raises(ConfigError, match=r"predictions must lie in 0..1 for 2 classes"):
        learn_rules(predictions, labels, conditions, ["0", "1"])
    with pytest.raises(ConfigError, match="unknown order"):
        RuleSet(("a",), order="sideways")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # int() took each of these for a class index: "1" and 1.0 as 1, true as 1, "1_0" as 10
        ({"detection": [{"class": "1", "conditions": ["c"]}]}, r"detection\[0\].class must be"),
        ({"detection": [{"class": 1.0, "conditions": ["c"]}]}, r"detection\[0\].class must be"),
        ({"detection": [{"class": True, "conditions": ["c"]}]}, r"detection\[0\].class must be"),
        ({"correction": [{"class": 0, "pairs": [["c", "1_0"]]}]}, r"pairs\[0\]\[1\] must be"),
        # tuple("cd") made the conditions 'c' and 'd'
        ({"detection": [{"class": 0, "conditions": "cd"}]}, r"conditions must be a list"),
        ({"classes": ["a", 2]}, r"classes\[1\] must be a string; got 2"),
        ({"classes": ["a", "a"]}, "the class name 'a' is used twice"),
        ({"correction": [{"class": 0, "pairs": [["c", 2]]}]}, "rule for class 2; classes are"),
        ({"correction": [{"class": 0, "pairs": [["c", -1]]}]}, "rule for class -1; classes are"),
        ({"detection": [{"class": 0, "conditions": ["a\rb"]}]}, "holds a carriage return"),
    ],
)
def test_rule_files_hold_exact_types(tmp_path, change, message):
    data = {**RuleSet(("a", "b")).to_json(), **change}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match=message) as error:
        read_rules(path)
    assert str(path) in str(error.value)


def test_a_correction_body_must_name_a_class():
    # classes[-1] wrote the last class into the program; classes[2] was an IndexError
    with pytest.raises(ConfigError, match="rule for class -1"):
        RuleSet(("a", "b"), (), (CorrectionRule(0, (("c", -1),)),))
    with pytest.raises(ConfigError, match="used twice"):
        RuleSet(("a", "a"))


def test_apply_refuses_predictions_the_rules_do_not_know():
    # a prediction of class 7 (or 1.5) matched no rule and passed through unchanged
    with pytest.raises(DataError, match=r"predictions must lie in 0..2 for 3 classes"):
        RULES.apply(np.array([0, 7, 1, 1, 0]), CONDITIONS)
    with pytest.raises(DataError, match="integer class indices; got float64"):
        RULES.apply(PREDICTIONS + 0.5, CONDITIONS)
    with pytest.raises(ConfigError, match="labels must be a 1-D array of integer"):
        learn_rules(PREDICTIONS, PREDICTIONS * 1.0, CONDITIONS, ["a", "b", "c"])


def test_an_empty_rule_set_writes_no_program():
    assert RuleSet(("a",)).to_text() == ""
