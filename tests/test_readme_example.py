"""The README's example: its program gives the answers the README prints, and so does ProbLog."""

import re
from pathlib import Path

import pytest

import nesy

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _example() -> tuple[str, dict[str, float]]:
    """The program after ``$ cat alarm.nesy`` and the answers after ``$ nesy query alarm.nesy``."""
    block = README.split("$ cat alarm.nesy\n", 1)[1].split("```", 1)[0]
    program, printed = block.split("$ nesy query alarm.nesy\n")
    answers = {}
    for line in printed.strip().splitlines():
        atom, value = re.fullmatch(r"(\S+):\s+(\S+)", line).groups()
        answers[atom] = float(value)
    return program, answers


def test_the_example_prints_what_nesy_answers():
    program, printed = _example()
    answers = nesy.query(nesy.parse(program))
    assert answers.keys() == printed.keys()
    for atom, value in printed.items():
        assert answers[atom] == pytest.approx(value, abs=1e-10)


def test_problog_gives_the_same_numbers():
    problog = pytest.importorskip("problog")
    from problog.program import PrologString

    program, printed = _example()
    result = problog.get_evaluatable().create_from(PrologString(program)).evaluate()
    assert {str(k): v for k, v in result.items()} == pytest.approx(printed, abs=1e-10)
