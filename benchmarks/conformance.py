"""Conformance: nesy on ProbLog's own test programs and on clingo's own example programs.

Every program runs in a fresh subprocess (OMP_NUM_THREADS=1, a time limit each): ``nesy query
FILE --json`` for a ProbLog program (the .pl suffix picks the ProbLog dialect), ``nesy solve --all
--json FILES`` for a clingo program. A ProbLog program is judged against its own ``%Expected
outcome:`` block (read as ProbLog's test_system.py reads it: ``% atom prob`` lines, ``% ERROR
Name``, and ``query(...). % outcome: p``); an atom the block names but ProbLog 2.3 does not answer
is a stale line and is skipped, an atom nesy answers that the block does not name is judged
against ProbLog 2.3. A program without such a block is judged against ProbLog 2.3 alone and is
reported apart. A clingo program is judged against clingo (the Python module of the same
version, ``0 --opt-mode=optN``): the set of stable models as shown, and for an optimisation
program the set of optimal models with their costs. Classes: right (every probability within
1e-6, the same models, or an expected error that nesy also reports as a clean error), wrong
(exit 0 with another answer), refused (a clean ``nesy: error:`` and exit 1 or 2), crash (a
traceback or any other exit code), timeout. A clingo program that clingo itself rejects is
listed as ``invalid`` and not counted.

    python benchmarks/conformance.py                   # everything (a few minutes)
    python benchmarks/conformance.py --only clingo -k queens   # a partial run, not written

Prints a table and, for a full run, writes benchmarks/results/conformance.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench_record import record_head  # (a sibling script)

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "benchmarks" / "conformance"
OUT = ROOT / "benchmarks" / "results" / "conformance.json"
TOLERANCE = 1e-6
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# ProbLog 2.3 as its own system tests run it, answers printed as JSON (or the error's class name).
PROBLOG_ORACLE = """
import json, sys
from problog import get_evaluatable
from problog.program import DefaultPrologParser, ExtendedPrologFactory, PrologFile
try:
    program = PrologFile(sys.argv[1], parser=DefaultPrologParser(ExtendedPrologFactory()))
    answers = get_evaluatable().create_from(program).evaluate()
    print(json.dumps({"answers": {str(k): float(v) for k, v in answers.items()}}))
except Exception as err:
    print(json.dumps({"error": type(err).__name__}))
"""

# clingo as ``clingo 0 --opt-mode=optN FILES``: every model, or every optimal model with its cost.
CLINGO_ORACLE = """
import json, sys, clingo
models = []
def on_model(model):
    models.append({"atoms": [str(s) for s in model.symbols(shown=True)],
                   "cost": list(model.cost), "optimal": model.optimality_proven})
try:
    control = clingo.Control(["0", "--opt-mode=optN", "--warn=none"])
    for path in sys.argv[1:]:
        control.load(path)
    control.ground([("base", [])])
    control.solve(on_model=on_model)
except RuntimeError as err:
    print(json.dumps({"error": str(err).splitlines()[0] if str(err) else "RuntimeError"}))
    sys.exit()
if any(m["cost"] for m in models):
    models = [m for m in models if m["optimal"]]
print(json.dumps({"models": models}))
"""


@dataclass
class Run:
    """One subprocess: its exit code and output, or ``None`` for the code when it timed out."""

    code: int | None
    stdout: str
    stderr: str


@dataclass
class Verdict:
    name: str
    suite: str  # "problog" (expected outcome), "problog-oracle" (ProbLog 2.3 only), "clingo"
    verdict: str  # right, wrong, refused, crash, timeout, invalid
    reason: str
    nesy: str = ""
    expected: str = ""


def run(command: list[str], cwd: Path, timeout: float) -> Run:
    try:
        done = subprocess.run(
            command, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as err:
        return Run(None, _text(err.stdout), _text(err.stderr))
    return Run(done.returncode, done.stdout, done.stderr)


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def nesy_failure(result: Run, answers: tuple[int, ...], timeout: float) -> tuple[str, str] | None:
    """The class of a run that gave no answer (timeout, crash, refused), else ``None``."""
    if result.code is None:
        return "timeout", f"no answer within {timeout:g} s"
    if "Traceback (most recent call last)" in result.stderr:
        return "crash", "traceback: " + _last_line(result.stderr)
    if result.code in answers:
        return None
    if result.code in (1, 2) and result.stderr.startswith("nesy: error:"):
        return "refused", result.stderr.splitlines()[0].removeprefix("nesy: error:").strip()
    return "crash", f"exit {result.code}: " + _last_line(result.stderr or result.stdout)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


# --- ProbLog ------------------------------------------------------------------------------------


def expected_outcome(path: Path) -> dict[str, float] | str | None:
    """The block as ProbLog's test_system.read_result reads it: answers, an error name, or None."""
    results: dict[str, float] = {}
    reading = False
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("%Expected outcome:"):
            reading = True
        elif reading:
            if line.lower().startswith("% error"):
                return line[len("% error") :].strip()
            if line.startswith("% "):
                query, probability = line[2:].rsplit(None, 1)
                results[query.strip()] = float(probability)
            else:
                reading = False
        if line.startswith("query(") and "% outcome:" in line:
            at = line.find("% outcome:")
            query = line[6:at].strip().rstrip(".").rstrip()[:-1]
            results[query.strip()] = float(line[at + len("% outcome:") :])
    return results or None


def atom_key(atom: str) -> str:
    """An answer's atom compared up to blanks and variable names (outside quotes)."""
    parts = re.split(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")", atom)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"\b[A-Z_][A-Za-z0-9_]*", "_", re.sub(r"\s+", "", parts[i]))
    return "".join(parts)


def judge_problog(path: Path, timeout: float) -> Verdict:
    name = path.relative_to(PROGRAMS / "problog").as_posix()
    expected = expected_outcome(path)
    suite = "problog" if expected is not None else "problog-oracle"
    oracle = problog_answer(path, timeout)
    if expected is None:
        if oracle is None:
            return Verdict(name, suite, "invalid", "ProbLog 2.3 gave no answer in time")
        expected = oracle.get("error", oracle.get("answers"))
    result = run([sys.executable, "-m", "nesy", "query", path.name, "--json"], path.parent, timeout)
    failure = nesy_failure(result, (0,), timeout)
    shown = json.dumps(expected, sort_keys=True)
    if failure is not None:
        verdict, reason = failure
        if verdict == "refused" and isinstance(expected, str):
            return Verdict(name, suite, "right", f"expected {expected}: {reason}", reason, shown)
        return Verdict(name, suite, verdict, reason, failure[1], shown)
    got = {atom_key(k): v for k, v in json.loads(result.stdout).items()}
    if isinstance(expected, str):
        return Verdict(
            name,
            suite,
            "wrong",
            f"answered where ProbLog raises {expected}",
            json.dumps(got, sort_keys=True),
            shown,
        )
    oracle_answers = {atom_key(k): v for k, v in (oracle or {}).get("answers", {}).items()}
    problems = answer_differences(
        {atom_key(k): v for k, v in expected.items()}, got, oracle_answers, oracle is not None
    )
    verdict = "wrong" if problems else "right"
    return Verdict(
        name, suite, verdict, "; ".join(problems), json.dumps(got, sort_keys=True), shown
    )


def answer_differences(
    expected: dict[str, float], got: dict[str, float], oracle: dict[str, float], have_oracle: bool
) -> list[str]:
    problems = []
    for atom, probability in expected.items():
        if atom not in got:
            stale = have_oracle and atom not in oracle
            if probability != 0 and not stale:
                problems.append(f"{atom} missing (expected {probability:g})")
        elif abs(got[atom] - probability) > TOLERANCE:
            problems.append(f"{atom}: {got[atom]:.10g}, expected {probability:.10g}")
    for atom, probability in got.items():
        if atom in expected:
            continue
        if atom in oracle:
            if abs(oracle[atom] - probability) > TOLERANCE:
                problems.append(f"{atom}: {probability:.10g}, ProbLog 2.3 {oracle[atom]:.10g}")
        elif probability != 0:
            problems.append(f"extra {atom}: {probability:.10g}")
    return problems


def problog_answer(path: Path, timeout: float) -> dict[str, Any] | None:
    result = run([sys.executable, "-c", PROBLOG_ORACLE, path.name], path.parent, timeout)
    if result.code != 0 or not result.stdout.strip():
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- clingo -------------------------------------------------------------------------------------


def clingo_cases() -> list[tuple[str, list[Path]]]:
    """A case is one .lp file, or a folder whose .lp files are read as one program."""
    cases = []
    for entry in sorted((PROGRAMS / "clingo").iterdir()):
        if entry.suffix == ".lp":
            cases.append((entry.name, [entry]))
        elif entry.is_dir():
            cases.append((entry.name + "/", sorted(entry.glob("*.lp"))))
    return cases


def model_set(models: list[dict[str, Any]]) -> set[tuple[frozenset[str], tuple[int, ...]]]:
    return {
        (frozenset(re.sub(r"\s+", "", a) for a in m["atoms"]), tuple(m.get("cost") or ()))
        for m in models
    }


def judge_clingo(name: str, files: list[Path], timeout: float) -> Verdict:
    cwd = files[0].parent
    names = [f.name for f in files]
    oracle = run([sys.executable, "-c", CLINGO_ORACLE, *names], cwd, timeout)
    if oracle.code != 0 or not oracle.stdout.strip():
        return Verdict(name, "clingo", "invalid", "clingo gave no answer in time")
    reference = json.loads(oracle.stdout)
    if "error" in reference:
        return Verdict(name, "clingo", "invalid", "clingo rejects it: " + reference["error"])
    result = run([sys.executable, "-m", "nesy", "solve", "--all", "--json", *names], cwd, timeout)
    failure = nesy_failure(result, (0, 20), timeout)
    expected = model_set(reference["models"])
    shown = _models_text(expected)
    if failure is not None:
        return Verdict(name, "clingo", failure[0], failure[1], failure[1], shown)
    got = model_set(json.loads(result.stdout)["models"])
    if got == expected:
        return Verdict(name, "clingo", "right", f"{len(got)} model(s)", _models_text(got), shown)
    missing, extra = expected - got, got - expected
    reason = (
        f"{len(got)} model(s), clingo {len(expected)}: {len(missing)} missing, {len(extra)} extra"
    )
    return Verdict(name, "clingo", "wrong", reason, _models_text(got), shown)


def _models_text(models: set[tuple[frozenset[str], tuple[int, ...]]], limit: int = 6) -> str:
    ordered = sorted((sorted(atoms), cost) for atoms, cost in models)
    text = " | ".join(
        " ".join(atoms) + (f" cost={list(cost)}" if cost else "") for atoms, cost in ordered[:limit]
    )
    return text + (f" | ... ({len(ordered)} in all)" if len(ordered) > limit else "")


# --- report -------------------------------------------------------------------------------------

CLASSES = ("right", "wrong", "refused", "crash", "timeout", "invalid")


def table(verdicts: list[Verdict]) -> str:
    lines = [f"{'suite':<16}" + "".join(f"{c:>9}" for c in CLASSES) + f"{'right %':>10}"]
    for suite in ("problog", "problog-oracle", "clingo"):
        mine = [v for v in verdicts if v.suite == suite]
        if not mine:
            continue
        counts = {c: sum(v.verdict == c for v in mine) for c in CLASSES}
        judged = len(mine) - counts["invalid"]
        share = f"{100 * counts['right'] / judged:.1f}" if judged else "-"
        lines.append(f"{suite:<16}" + "".join(f"{counts[c]:>9}" for c in CLASSES) + f"{share:>10}")
    for verdict in ("wrong", "crash", "timeout", "refused"):
        for v in verdicts:
            if v.verdict == verdict:
                lines.append(f"  {verdict:<8} {v.suite:<15} {v.name}: {v.reason}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("problog", "clingo"), help="one suite only")
    parser.add_argument("-k", dest="substring", default="", help="programs whose name has this")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a run (default 60)")
    args = parser.parse_args()
    verdicts: list[Verdict] = []
    if args.only in (None, "problog"):
        for path in sorted((PROGRAMS / "problog").rglob("*.pl")):
            if args.substring in path.name:
                verdicts.append(judge_problog(path, args.timeout))
                print(f"{verdicts[-1].verdict:<8} {verdicts[-1].name}", file=sys.stderr, flush=True)
    if args.only in (None, "clingo"):
        for name, files in clingo_cases():
            if args.substring in name:
                verdicts.append(judge_clingo(name, files, args.timeout))
                print(f"{verdicts[-1].verdict:<8} {verdicts[-1].name}", file=sys.stderr, flush=True)
    print(table(verdicts))
    if args.only or args.substring:
        print(f"(a partial run: {OUT.relative_to(ROOT)} is left as it was)")
        return
    record = record_head(
        "conformance",
        args,
        __doc__,
        nesy=metadata.version("nesy"),
        problog=metadata.version("problog"),
        clingo=metadata.version("clingo"),
    )
    record["programs"] = [v.__dict__ for v in verdicts]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    partial = OUT.with_suffix(".json.tmp")
    partial.write_text(json.dumps(record, indent=1) + "\n")
    partial.replace(OUT)


if __name__ == "__main__":
    main()
