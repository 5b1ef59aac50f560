"""Oracle: every program in ``programs/`` must get ProbLog's probabilities from nesy (to 1e-6).

Every file is a ProbLog 2.3 program written in the subset nesy shares with ProbLog. ProbLog reports
the instances of a non-ground query that it finds; nesy reports every instance that is possibly
true. So: every atom ProbLog reports must match nesy's number (an atom nesy leaves out counts as
probability 0, allowed only where ProbLog says ~0 and the query was not ground); every ground
query must be in nesy's answer; and every atom nesy reports beyond ProbLog's must have
probability 0.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
FILES = sorted(PROGRAMS.glob("*.pl"))
TOLERANCE = 1e-6
#: seconds one engine may take on one program before the test fails
TIME_LIMIT = 20


def norm(atom: str) -> str:
    """``path(a, b)`` and ``path(a,b)`` are the same atom."""
    return re.sub(r"\s+", "", atom)


@contextlib.contextmanager
def time_limit(seconds: int, what: str):
    """Fail (rather than hang the suite) when a call runs past ``seconds``."""

    def expire(signum, frame):
        raise TimeoutError(f"{what} took longer than {seconds} s")

    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - not on POSIX
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@functools.cache
def problog_probabilities(text: str) -> dict[str, float]:
    from problog import get_evaluatable
    from problog.program import PrologString

    with time_limit(TIME_LIMIT, "ProbLog"):
        result = get_evaluatable().create_from(PrologString(text)).evaluate()
    return {norm(str(term)): float(p) for term, p in result.items()}


def nesy_probabilities(text: str, source: str = "<string>") -> dict[str, float]:
    import nesy

    with time_limit(TIME_LIMIT, "nesy"):
        answer = nesy.query(nesy.parse(text, source))
    return {norm(atom): float(p) for atom, p in answer.items()}


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("%", 1)[0] for line in text.splitlines())


def ground_queries(text: str) -> set[str]:
    """The atoms of the ``query(...)`` statements that contain no variable."""
    text = _strip_comments(text)
    found: set[str] = set()
    for match in re.finditer(r"\bquery\s*\(", text):
        depth, start = 1, match.end()
        i = start
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        atom = text[start : i - 1]
        if not re.search(r"(?<![a-z0-9_])[A-Z_]", atom):
            found.add(norm(atom))
    return found


def disagreements(
    expected: dict[str, float],
    got: dict[str, float],
    ground: set[str],
    tolerance: float = TOLERANCE,
) -> list[str]:
    """Human-readable differences between ProbLog's answer (``expected``) and nesy's (``got``)."""
    problems: list[str] = []
    for atom, p in sorted(expected.items()):
        if atom in got:
            if not abs(got[atom] - p) <= tolerance:
                problems.append(
                    f"{atom}: problog={p!r} nesy={got[atom]!r} diff={got[atom] - p:.3g}"
                )
        elif atom in ground:
            problems.append(f"{atom}: ground query missing from nesy's answer (problog={p!r})")
        elif p > tolerance:
            problems.append(f"{atom}: missing from nesy's answer (problog={p!r})")
    for atom in sorted(ground - expected.keys()):
        if atom not in got:
            problems.append(f"{atom}: ground query answered by neither engine")
    for atom, p in sorted(got.items()):
        if atom not in expected and not abs(p) <= tolerance:
            problems.append(f"{atom}: reported by nesy only, with probability {p!r} (not 0)")
    return problems


def test_enough_programs():
    assert len(FILES) >= 30


def test_ground_queries_helper():
    text = "query(a). % query(b).\nquery(p(X,b)).\nquery(q(s(1),c)).\nquery( r(_) )."
    assert ground_queries(text) == {"a", "q(s(1),c)"}


def test_disagreements_helper():
    ground = {"a", "z"}
    assert disagreements({"a": 0.5, "p(b)": 0.0}, {"a": 0.5 + 1e-9, "z": 0.0}, ground) == []
    assert len(disagreements({"a": 0.5}, {"a": 0.6}, {"a"})) == 1
    assert len(disagreements({"a": 0.0}, {}, {"a"})) == 1  # ground query left out
    assert len(disagreements({"p(b)": 0.2}, {}, set())) == 1  # possible instance left out
    assert len(disagreements({}, {"p(c)": 0.1}, set())) == 1  # extra instance, not 0


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_program_matches_problog(path: Path):
    text = path.read_text(encoding="utf-8")
    expected = problog_probabilities(text)
    assert expected, f"ProbLog answered no query for {path.name}"
    got = nesy_probabilities(text, str(path))
    problems = disagreements(expected, got, ground_queries(text))
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


# --- the command line ----------------------------------------------------------------------

CLI_FILES = ["10_graph_directed_cycles", "20_alarm_evidence", "26_certain_and_impossible"]
PLAIN_FILE = "08_two_dice_sum"


@pytest.fixture(scope="module")
def cli_runs() -> dict[tuple[str, bool], subprocess.CompletedProcess]:
    """Every CLI run, started at once (each pays for importing torch)."""
    jobs = {}
    for stem in CLI_FILES:
        jobs[stem, True] = [str(PROGRAMS / f"{stem}.pl"), "--json"]
    jobs[PLAIN_FILE, False] = [str(PROGRAMS / f"{PLAIN_FILE}.pl")]
    procs = {
        key: subprocess.Popen(
            [sys.executable, "-m", "nesy", "query", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, args in jobs.items()
    }
    runs = {}
    for key, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        runs[key] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return runs


@pytest.mark.parametrize("stem", CLI_FILES)
def test_cli_json_agrees_with_api(stem: str, cli_runs):
    run = cli_runs[stem, True]
    assert run.returncode == 0, f"exit {run.returncode}\nstderr:\n{run.stderr}"
    printed = json.loads(run.stdout)
    assert isinstance(printed, dict)
    api = nesy_probabilities((PROGRAMS / f"{stem}.pl").read_text(encoding="utf-8"))
    assert {norm(k) for k in printed} == set(api)
    for atom, p in printed.items():
        assert isinstance(p, float | int)
        assert abs(p - api[norm(atom)]) <= 1e-12, (atom, p, api[norm(atom)])


def test_cli_plain_output_agrees_with_api(cli_runs):
    run = cli_runs[PLAIN_FILE, False]
    assert run.returncode == 0, f"exit {run.returncode}\nstderr:\n{run.stderr}"
    printed = {}
    for line in run.stdout.splitlines():
        if not line.strip():
            continue
        atom, sep, number = line.rpartition(":")
        assert sep, f"not an `atom: probability` line: {line!r}"
        printed[norm(atom)] = float(number)
    api = nesy_probabilities((PROGRAMS / f"{PLAIN_FILE}.pl").read_text(encoding="utf-8"))
    assert set(printed) == set(api)
    for atom, p in printed.items():
        assert abs(p - api[atom]) <= 1e-9, (atom, p, api[atom])
