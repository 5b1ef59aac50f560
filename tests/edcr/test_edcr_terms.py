"""Names written into rule programs parse back to themselves, or are refused where read."""

import clingo
import pytest

from nesy.errors import DataError
from nesy.lang import Const, Literal, Rule, Str, parse, parse_file
from solvers.edcr.rules import CorrectionRule, DetectionRule, RuleSet
from solvers.edcr.terms import string, term, unwritable

# Each would have broken the program or changed its meaning when written raw (the old writer
# left line breaks raw, kept '007' and '99999999999' as integers and 'not' as a constant).
CLASSES = ("shirt", "T-shirt/top", "7", "007", "-3", "99999999999", "not", 'say "x"', "a\nb")
CONDITIONS = ("sec=a\nb", 'q"uote', "back\\slash", "tab\there", "\u00e9t\u00e9", "\u2028", "")


def _name(value) -> str:
    """The class or condition a parsed term stands for."""
    if isinstance(value, Str):
        return value.value
    assert isinstance(value, Const)
    return str(value.value)


def _rules_of(text: str) -> list[tuple[str, str, str, str]]:
    """(head, head class, predicted class, condition) of every rule of a written program."""
    found = []
    for statement in parse(text).statements:
        if not isinstance(statement, Rule):
            continue
        pred, holds = statement.body
        assert isinstance(pred, Literal) and isinstance(holds, Literal)
        head = statement.head
        label = _name(head.args[1]) if head.predicate == "corrected" else ""
        found.append((head.predicate, label, _name(pred.atom.args[1]), _name(holds.atom.args[1])))
    return found


def test_odd_names_round_trip_through_the_written_program():
    k = len(CLASSES)
    detection = tuple(DetectionRule(i, (CONDITIONS[i % len(CONDITIONS)],)) for i in range(k))
    correction = tuple(
        CorrectionRule(i, ((CONDITIONS[(i + 1) % len(CONDITIONS)], (i + 1) % k),)) for i in range(k)
    )
    rules = RuleSet(CLASSES, detection, correction)
    expected = [("error", "", CLASSES[r.label], r.conditions[0]) for r in detection]
    expected += [
        ("corrected", CLASSES[r.label], CLASSES[r.pairs[0][1]], r.pairs[0][0]) for r in correction
    ]
    assert _rules_of(rules.to_text()) == expected
    # clingo reads the same text, and no two classes became one term
    control = clingo.Control(["--warn=none"])
    control.add("base", [], rules.to_text())
    control.ground([("base", [])])
    assert len({term(name) for name in CLASSES}) == k


def test_terms_are_chosen_to_read_back_the_same():
    assert [term(n) for n in ("a_1", "7", "0", "-3", "2147483647")] == [
        "a_1",
        "7",
        "0",
        "-3",
        "2147483647",
    ]
    assert term("2147483648") == '"2147483648"'  # clingo would wrap it round to -2147483648
    assert [term(n) for n in ("007", "-0", "+3", "A", "not")] == [
        '"007"',
        '"-0"',
        '"+3"',
        '"A"',
        '"not"',
    ]
    assert string('a"\\\nb') == '"a\\"\\\\\\nb"'


@pytest.mark.parametrize(
    ("name", "what"),
    [("a\rb", "a carriage return"), ("a\x00b", "a NUL character"), ("\ud800", "a lone surrogate")],
)
def test_names_no_program_can_hold_are_refused(name, what):
    assert what in unwritable(name)
    with pytest.raises(DataError, match=f"the condition name .* holds {what}"):
        RuleSet(("a", "b"), (DetectionRule(0, (name,)),))
    with pytest.raises(DataError, match=f"the class name .* holds {what}"):
        RuleSet(("a", name))


def test_every_other_character_is_written(tmp_path):
    # the first 512 code points but NUL and CR: the written file parses back, name for name
    names = tuple(chr(c) for c in range(512) if chr(c) not in "\x00\r")
    rules = RuleSet(("a",), (DetectionRule(0, names),))
    path = tmp_path / "rules.lp"
    path.write_bytes(rules.to_text().encode("utf-8"))
    conditions = [_name(s.body[1].atom.args[1]) for s in parse_file(path).statements[2:]]
    assert tuple(conditions) == names
