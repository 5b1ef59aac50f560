"""Neural guidance of a CDCL solver on SATLIB, per family: guided vs unguided vs random control.

For every instance (up to `--per-family` per family, in file order) the shipped NeuroSAT and its
core variant run once on the CPU (their time is measured and reported apart), then the solver runs
under each guide: `none`; `phases` (NeuroSAT's best assignment as initial phases) and its control
`random-phases` (uniform random scores, same mechanism); `core` (branching on the core scores
through an observing external propagator) and its control `random-core`. Every answer is checked:
SAT models against the clauses (inside `solve`), statuses against the SATLIB manifest.

Per family: instances solved within the timeout, median conflicts and decisions, median wall
time with and without the network's time, and the ratio of median conflicts of each neural guide
to the unguided solver and to its random control, with a 95% bootstrap interval over instances
(paired resampling). Conflicts are the primary figure: most of these instances solve in
milliseconds.

    python benchmarks/sat_guidance.py --per-family 10 --timeout 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pysat
import torch

from nesy.train.checkpoint import atomic_write_bytes
from solvers.sat.dimacs import read_dimacs
from solvers.sat.guide import solve
from solvers.sat.scoring import default_scorer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_record import record_head  # noqa: E402  (a sibling script)

REPO = Path(__file__).resolve().parents[1]
SATLIB = REPO.parent / "shared" / "data" / "satlib"
GUIDES = ("none", "phases", "random-phases", "core", "random-core")
CONTROLS = {"phases": "random-phases", "core": "random-core"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=SATLIB)
    p.add_argument("--per-family", type=int, default=10)
    p.add_argument("--families", nargs="*", default=None, help="default: all in the manifest")
    p.add_argument("--solver", default="cadical195")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: fastest here)")
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument(
        "--from-rows", type=Path, default=None, help="re-summarise a result file's rows, no solving"
    )
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/sat_guidance.json")
    return p.parse_args(argv)


def _manifest(folder: Path) -> list[dict[str, str]]:
    lines = (folder / "MANIFEST.tsv").read_text().splitlines()
    keys = ["file", "family", "status", "n_vars", "n_clauses", "sha256"]
    return [dict(zip(keys, line.split("\t"), strict=True)) for line in lines[1:]]


def _ratio_ci(guided: np.ndarray, base: np.ndarray, reps: int, rng: np.random.Generator):
    """Ratio of medians, ``(median guided + 1) / (median base + 1)`` (the 1 keeps families that
    solve without a conflict finite), and its 95% paired bootstrap interval."""
    point = float((np.median(guided) + 1) / (np.median(base) + 1))
    picks = rng.integers(0, len(base), size=(reps, len(base)))
    ratios = (np.median(guided[picks], 1) + 1) / (np.median(base[picks], 1) + 1)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return point, float(low), float(high)


def run(args: argparse.Namespace) -> dict:
    torch.set_num_threads(args.threads)
    scorer = default_scorer()
    manifest = _manifest(args.data)
    families = args.families or list(dict.fromkeys(row["family"] for row in manifest))
    rows = []
    for family in families:
        entries = [r for r in manifest if r["family"] == family][: args.per_family]
        for entry in entries:
            cnf = read_dimacs(args.data / f"{entry['file']}.xz")
            start = time.perf_counter()
            scores = scorer(cnf)
            network_seconds = time.perf_counter() - start
            for guide in GUIDES:
                result = solve(
                    cnf,
                    guide=guide,
                    scorer=lambda _, s=scores: s,
                    solver=args.solver,
                    timeout=args.timeout,
                    seed=args.seed,
                    rescore_every=None,  # the network does not read learnt clauses: same scores
                )
                expected = {"SAT": True, "UNSAT": False}.get(entry["status"])
                if None not in (result.status, expected) and result.status != expected:
                    raise SystemExit(f"{entry['file']}: {guide} says {result.status}")
                neural = guide in CONTROLS
                rows.append(
                    {
                        "family": family,
                        "file": entry["file"],
                        "guide": guide,
                        "status": result.status,
                        "conflicts": result.conflicts,
                        "decisions": result.decisions,
                        "solve_seconds": result.solve_seconds,
                        "network_seconds": network_seconds if neural else 0.0,
                        "guided_decisions": result.guided_decisions,
                    }
                )
        _print_family(family, [r for r in rows if r["family"] == family])
    return {"rows": rows, "families": _summarise(rows, families, args)}


def _print_family(family: str, rows: list[dict]) -> None:
    parts = []
    for guide in GUIDES:
        mine = [r for r in rows if r["guide"] == guide]
        solved = sum(r["status"] is not None for r in mine)
        conflicts = statistics.median(r["conflicts"] for r in mine)
        parts.append(f"{guide} {solved}/{len(mine)} {conflicts:g}")
    print(f"{family:20s} " + " | ".join(parts), flush=True)


def _summarise(rows: list[dict], families: list[str], args: argparse.Namespace) -> dict:
    rng = np.random.default_rng(args.seed)
    summary = {}
    for family in families:
        mine = [r for r in rows if r["family"] == family]
        if not mine:
            continue
        by_guide = {g: [r for r in mine if r["guide"] == g] for g in GUIDES}
        conflicts = {g: np.array([r["conflicts"] for r in rs], float) for g, rs in by_guide.items()}
        entry = {
            "instances": len(by_guide["none"]),
            "guides": {
                g: {
                    "solved": sum(r["status"] is not None for r in rs),
                    "median_conflicts": float(np.median(conflicts[g])),
                    "median_decisions": float(np.median([r["decisions"] for r in rs])),
                    "median_solve_seconds": float(np.median([r["solve_seconds"] for r in rs])),
                    "median_network_seconds": float(np.median([r["network_seconds"] for r in rs])),
                    "median_wall_seconds": float(
                        np.median([r["solve_seconds"] + r["network_seconds"] for r in rs])
                    ),
                }
                for g, rs in by_guide.items()
            },
        }
        for guide, control in CONTROLS.items():
            vs_none = _ratio_ci(conflicts[guide], conflicts["none"], args.bootstrap, rng)
            vs_random = _ratio_ci(conflicts[guide], conflicts[control], args.bootstrap, rng)
            entry[guide] = {
                "conflicts_ratio_vs_none": vs_none,
                "conflicts_ratio_vs_random": vs_random,
                "lowers_median_conflicts_vs_both": bool(
                    np.median(conflicts[guide])
                    < min(np.median(conflicts["none"]), np.median(conflicts[control]))
                ),
            }
        summary[family] = entry
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    source = json.loads(args.from_rows.read_text()) if args.from_rows else None
    if source is not None:
        rows = source["rows"]
        families = list(dict.fromkeys(r["family"] for r in rows))
        result = {"rows": rows, "families": _summarise(rows, families, args)}
    else:
        result = run(args)
    helped = {
        guide: sorted(
            f for f, e in result["families"].items() if e[guide]["lowers_median_conflicts_vs_both"]
        )
        for guide in CONTROLS
    }
    record = {
        **record_head("sat_guidance", args, __doc__, **{"python-sat": pysat.__version__}),
        "families_helped": helped,
        "seconds": time.perf_counter() - start,
        **result,
    }
    if source is not None:  # the run's own time and machine, not the re-summary's
        record.update({k: source[k] for k in ("seconds", "machine", "versions")})
    text = json.dumps(record, indent=1) + "\n"
    atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    for guide, families in helped.items():
        print(
            f"{guide}: lowers median conflicts vs both none and {CONTROLS[guide]} on "
            f"{len(families)} families: {', '.join(families)}"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
