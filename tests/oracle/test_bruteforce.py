"""Oracle: nesy against an independent brute-force evaluator on random ground programs (to 1e-9),
with ProbLog as a third voice on a few of them."""

from __future__ import annotations

import math
import random

import pytest

from .bruteforce import GroundProgram, Rule, random_program, render, solve
from .test_problog import disagreements, nesy_probabilities, problog_probabilities

N_PROGRAMS = 200
TOLERANCE = 1e-9
#: programs also checked against ProbLog (indices into the random programs)
PROBLOG_SAMPLE = range(0, N_PROGRAMS, 13)


def _programs() -> list[tuple[int, GroundProgram]]:
    """N_PROGRAMS random programs whose evidence is possible (seeded, so always the same)."""
    programs = []
    seed = 0
    while len(programs) < N_PROGRAMS:
        program = random_program(random.Random(seed))
        _, p_evidence = solve(program)
        if p_evidence >= 1e-9:
            programs.append((seed, program))
        seed += 1
    return programs


PROGRAMS = _programs()


def _compare(program: GroundProgram, got: dict[str, float], tolerance: float) -> list[str]:
    expected, _ = solve(program)
    problems = []
    for atom, p in expected.items():
        if atom not in got:
            problems.append(f"{atom}: missing from the answer (expected {p!r})")
        elif not abs(got[atom] - p) <= tolerance:
            problems.append(f"{atom}: expected {p!r} got {got[atom]!r} diff={got[atom] - p:.3g}")
    extra = sorted(set(got) - set(expected))
    if extra:
        problems.append(f"answered atoms that were not queried: {extra}")
    return problems


# --- the brute force itself, on programs whose answers are known by hand ---------------------


def test_bruteforce_noisy_or_and_negation():
    program = GroundProgram(
        facts=[("f0", 0.3), ("f1", 0.6), ("f1", 0.5)],
        ad_heads=[],
        ad_body=(),
        rules=[
            Rule("d0", (("f0", True),)),
            Rule("d0", (("f1", True),)),
            Rule("d1", (("d0", False),)),
        ],
        levels={"d0": 0, "d1": 1},
        queries=["d0", "d1"],
    )
    answer, p_evidence = solve(program)
    p_f1 = 1 - 0.4 * 0.5
    assert p_evidence == pytest.approx(1.0)
    assert answer["d0"] == pytest.approx(1 - 0.7 * (1 - p_f1))
    assert answer["d1"] == pytest.approx(0.7 * (1 - p_f1))


def test_bruteforce_ad_cycle_and_evidence():
    # AD with residual 0.3 and body f0; d0 <-> d1 positive cycle fed by a1 only.
    program = GroundProgram(
        facts=[("f0", 0.5)],
        ad_heads=[("a0", 0.2), ("a1", 0.5)],
        ad_body=(("f0", True),),
        rules=[
            Rule("d0", (("d1", True),)),
            Rule("d1", (("d0", True),)),
            Rule("d1", (("a1", True),)),
            Rule("d2", (("a0", True),)),
        ],
        levels={"d0": 0, "d1": 0, "d2": 0},
        queries=["d0", "d2"],
        evidence=[("f0", True)],
    )
    answer, p_evidence = solve(program)
    assert p_evidence == pytest.approx(0.5)
    assert answer["d0"] == pytest.approx(0.5)
    assert answer["d2"] == pytest.approx(0.2)


def test_random_programs_are_stratified_and_defined():
    for _, program in PROGRAMS:
        heads = {rule.head for rule in program.rules}
        assert heads == set(program.levels)
        for rule in program.rules:
            for atom, positive in rule.body:
                if atom in program.levels:
                    own, other = program.levels[rule.head], program.levels[atom]
                    assert other <= own if positive else other < own


def test_random_programs_cover_the_features():
    assert sum(bool(p.evidence) for _, p in PROGRAMS) >= 40
    assert sum(bool(p.ad_heads) for _, p in PROGRAMS) >= 80
    assert sum(bool(p.ad_body) for _, p in PROGRAMS) >= 20
    residual = sum(bool(p.ad_heads) and sum(q for _, q in p.ad_heads) < 0.999 for _, p in PROGRAMS)
    assert residual >= 20
    negated = sum(
        any(not pos and a in p.levels for r in p.rules for a, pos in r.body) for _, p in PROGRAMS
    )
    assert negated >= 40


# --- nesy against the brute force --------------------------------------------------------------


@pytest.mark.parametrize(("seed", "program"), PROGRAMS, ids=[f"seed{s}" for s, _ in PROGRAMS])
def test_nesy_matches_bruteforce(seed: int, program: GroundProgram):
    text = render(program, negation="\\+" if seed % 2 else "not")
    got = nesy_probabilities(text, f"<random program {seed}>")
    problems = _compare(program, got, TOLERANCE)
    assert not problems, f"random program seed={seed}:\n{text}\n  " + "\n  ".join(problems)


# --- ProbLog as a third voice ------------------------------------------------------------------


@pytest.mark.parametrize(
    "index", PROBLOG_SAMPLE, ids=[f"seed{PROGRAMS[i][0]}" for i in PROBLOG_SAMPLE]
)
def test_problog_matches_bruteforce(index: int):
    seed, program = PROGRAMS[index]
    text = render(program)
    problems = _compare(program, problog_probabilities(text), 1e-6)
    assert not problems, f"random program seed={seed}:\n{text}\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(
    "index", PROBLOG_SAMPLE, ids=[f"seed{PROGRAMS[i][0]}" for i in PROBLOG_SAMPLE]
)
def test_nesy_matches_problog_on_random_programs(index: int):
    seed, program = PROGRAMS[index]
    text = render(program)
    problems = disagreements(
        problog_probabilities(text), nesy_probabilities(text), set(program.queries)
    )
    assert not problems, f"random program seed={seed}:\n{text}\n  " + "\n  ".join(problems)


def test_evidence_probability_is_positive():
    assert all(
        solve(p)[1] >= 1e-9 and not math.isnan(solve(p)[0][p.queries[0]]) for _, p in PROGRAMS
    )
