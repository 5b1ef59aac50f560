"""Neural guidance of a CDCL solver on SATLIB, per family: wall time with the network, guided vs
unguided vs random control.

For every instance (up to `--per-family` per family, in file order) the solver runs under each
guide, in one process, the guides' order rotated from one instance to the next (so that a busy
machine's slow spells fall on every guide alike): `none`; `portfolio` (unguided for `--probe`
conflicts; only if the formula is still open, NeuroSAT is loaded from disk and run, and the search
goes on under its phases) and its control `random-portfolio` (the same with uniform random phases);
`phases` (NeuroSAT's best assignment as initial phases, from the start) and its control
`random-phases`; `core` (branching on the core scores through an observing external propagator)
and its control `random-core`. For `phases` and `core` the networks run once per instance and
their load and inference time is added to each run's; the portfolio pays its own load and
inference inside its timed call (torch is imported already: a fresh `nesy sat solve --guide
portfolio` imports it only past its probe, and that import is measured apart as
`torch_import_seconds`). An instance's guides run again, up to `--repeats` rounds while
its runs have taken under `--repeat-seconds` in all, and each guide's fastest run counts (the
machine is shared: other work only adds time). Every answer is checked: SAT models against the
clauses (inside `solve`), statuses against the SATLIB manifest. No instance is dropped: a run
that times out counts at its time.

Per family: instances solved within the timeout, median conflicts, median wall time (network load +
inference + solve) and CPU time (this process's own, which other work on the machine hardly
changes), the ratio of each neural guide's median to the unguided solver's and to its random
control's, for wall time, CPU time and conflicts, each with a 95% paired bootstrap interval over
instances. The target (issue 19): the portfolio's median wall time below the unguided solver's on
the uniform random families of 150-250 variables and at most 1.2x on every family.

    python benchmarks/sat_guidance.py --per-family 10 --timeout 10
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pysat
import torch
from bench_record import record_head

from nesy.train.checkpoint import atomic_write_bytes
from solvers.sat.dimacs import read_dimacs
from solvers.sat.guide import PORTFOLIO_ROUNDS, PROBE_CONFLICTS, GuideScores, solve
from solvers.sat.scoring import DEFAULT_MODELS, NeuralScorer, portfolio_scorer
from solvers.sat.train import load_model

REPO = Path(__file__).resolve().parents[1]
SATLIB = Path(os.environ.get("NESY_SATLIB", REPO.parent / "shared" / "data" / "satlib"))
GUIDES = ("none", "portfolio", "random-portfolio", "phases", "random-phases", "core", "random-core")
CONTROLS = {"portfolio": "random-portfolio", "phases": "random-phases", "core": "random-core"}
#: the families the wall-time target names: uniform random 3-SAT of 150-250 variables
TARGET = ("uf150-645", "uuf150-645", "uf175-753", "uuf175-753", "uf200-860", "uuf200-860")
TARGET += ("uf225-960", "uuf225-960", "uf250-1065", "uuf250-1065")
LIMIT = 1.2  # the most the portfolio's median wall time may be, as a multiple of none's


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=SATLIB, help="SATLIB folder (env NESY_SATLIB)")
    p.add_argument("--per-family", type=int, default=10)
    p.add_argument("--families", nargs="*", default=None, help="default: all in the manifest")
    p.add_argument("--guides", nargs="+", choices=GUIDES, default=list(GUIDES))
    p.add_argument("--solver", default="cadical195")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--probe", type=int, default=PROBE_CONFLICTS, help="portfolio probe, conflicts")
    p.add_argument("--rounds", type=int, default=PORTFOLIO_ROUNDS, help="portfolio's rounds")
    p.add_argument("--repeats", type=int, default=3, help="runs per instance and guide, at most")
    p.add_argument(
        "--repeat-seconds", type=float, default=2.0, help="no repeat once an instance took this"
    )
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


def _ratio_ci(guided: np.ndarray, base: np.ndarray, reps: int, rng: np.random.Generator, add=0.0):
    """Ratio of medians, ``(median guided + add) / (median base + add)`` (conflicts add 1, which
    keeps families that solve without a conflict finite), and its 95% paired bootstrap
    interval."""
    point = float((np.median(guided) + add) / (np.median(base) + add))
    picks = rng.integers(0, len(base), size=(reps, len(base)))
    ratios = (np.median(guided[picks], 1) + add) / (np.median(base[picks], 1) + add)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return point, float(low), float(high)


def _timed(function, *args):
    """``function(*args)`` and its (wall, CPU) seconds: CPU time is this process's own, which
    other work on a shared machine hardly changes; wall time is the target's figure."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args)
    return value, np.array([time.perf_counter() - wall, time.process_time() - cpu])


def _torch_import_seconds() -> float:
    """What a fresh process spends importing torch, which the CLI's portfolio pays only when its
    probe leaves the formula open (it imports the network lazily); not in the rows' wall time."""
    code = "import time; t = time.perf_counter(); import torch; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)  # fmt: skip


def run(args: argparse.Namespace) -> dict:
    torch.set_num_threads(args.threads)
    (sat, _), load_seconds = _timed(load_model, DEFAULT_MODELS["sat"])
    core_model, _ = load_model(DEFAULT_MODELS["core"])
    phase_net, core_net = NeuralScorer(sat, None), NeuralScorer(None, core_model)
    manifest = _manifest(args.data)
    families = args.families or list(dict.fromkeys(row["family"] for row in manifest))
    rows = []
    for family in families:
        entries = [r for r in manifest if r["family"] == family][: args.per_family]
        for index, entry in enumerate(entries):
            rows += _run_instance(args, family, entry, index, phase_net, core_net, load_seconds)
        _print_family(family, [r for r in rows if r["family"] == family], args.guides)
    return {"rows": rows, "families": _summarise(rows, families, args)}


def _run_instance(args, family, entry, index, phase_net, core_net, load_seconds) -> list[dict]:
    cnf = read_dimacs(args.data / f"{entry['file']}.xz")
    guides = list(args.guides)
    network = {}  # guide -> (its scorer, (wall, CPU) seconds to load and run its networks)
    if {"phases", "core"} & set(guides):
        phase, phase_seconds = _timed(phase_net, cnf)
        core, core_seconds = _timed(core_net, cnf) if "core" in guides else (phase, np.zeros(2))
        network["phases"] = (lambda _: phase, load_seconds + phase_seconds)
        scores = GuideScores(phase=phase.phase, core=core.core)  # core reads both
        network["core"] = (lambda _: scores, 2 * load_seconds + phase_seconds + core_seconds)
    rows: dict[str, dict] = {}
    start = time.perf_counter()
    for repeat in range(args.repeats):
        if repeat and time.perf_counter() - start > args.repeat_seconds:
            break
        turn = (index + repeat) % len(guides)
        for guide in guides[turn:] + guides[:turn]:
            # the portfolio's scorer is its own, loaded and run inside its call, past its probe
            scorer, network_seconds = network.get(guide) or (
                portfolio_scorer(args.rounds),
                np.zeros(2),
            )
            row = _run_guide(args, cnf, family, entry, guide, scorer, network_seconds)
            kept = rows.setdefault(guide, {**row, "wall_runs": [], "cpu_runs": []})
            kept["wall_runs"].append(row["wall_seconds"])
            kept["cpu_runs"].append(row["cpu_seconds"])
    for row in rows.values():  # noise on a shared machine only adds time: the fastest counts
        row["wall_seconds"], row["cpu_seconds"] = min(row["wall_runs"]), min(row["cpu_runs"])
    return list(rows.values())


def _run_guide(args, cnf, family, entry, guide, scorer, network_seconds) -> dict:
    result, (wall, cpu) = _timed(
        lambda: solve(
            cnf,
            guide=guide,
            scorer=scorer,
            solver=args.solver,
            timeout=args.timeout,
            seed=args.seed,
            rescore_every=None,  # the network does not read learnt clauses: same scores
            probe=args.probe,
        )
    )
    expected = {"SAT": True, "UNSAT": False}.get(entry["status"])
    if None not in (result.status, expected) and result.status != expected:
        raise SystemExit(f"{entry['file']}: {guide} says {result.status}")
    return {
        "family": family,
        "file": entry["file"],
        "guide": guide,
        "status": result.status,
        "conflicts": result.conflicts,
        "decisions": result.decisions,
        "solve_seconds": result.solve_seconds,
        "network_seconds": float(network_seconds[0]) + result.guide_seconds,
        "wall_seconds": float(wall + network_seconds[0]),
        "cpu_seconds": float(cpu + network_seconds[1]),
        "scorings": result.scorings,
        "guided_decisions": result.guided_decisions,
    }


def _print_family(family: str, rows: list[dict], guides: list[str]) -> None:
    parts = []
    for guide in guides:
        mine = [r for r in rows if r["guide"] == guide]
        solved = sum(r["status"] is not None for r in mine)
        wall = np.median([r["wall_seconds"] for r in mine])
        parts.append(f"{guide} {solved}/{len(mine)} {wall:.4f}s")
    print(f"{family:18s} " + " | ".join(parts), flush=True)


def _summarise(rows: list[dict], families: list[str], args: argparse.Namespace) -> dict:
    rng = np.random.default_rng(args.seed)
    guides = list(dict.fromkeys(r["guide"] for r in rows))
    summary = {}
    for family in families:
        mine = [r for r in rows if r["family"] == family]
        if not mine:
            continue
        by_guide = {g: [r for r in mine if r["guide"] == g] for g in guides}
        timed = [k for k in ("wall_seconds", "cpu_seconds") if all(k in r for r in mine)]
        figures = {  # runs recorded before CPU time was measured have wall time only
            key: {g: np.array([r[key] for r in rs], float) for g, rs in by_guide.items()}
            for key in ("conflicts", *timed)
        }
        entry = {
            "instances": len(by_guide["none"]),
            "guides": {
                g: {
                    "solved": sum(r["status"] is not None for r in rs),
                    "network_runs": sum(r["scorings"] > 0 for r in rs),
                    "median_conflicts": float(np.median(figures["conflicts"][g])),
                    "median_solve_seconds": float(np.median([r["solve_seconds"] for r in rs])),
                    "median_network_seconds": float(np.median([r["network_seconds"] for r in rs])),
                    **{f"median_{k}": float(np.median(figures[k][g])) for k in timed},
                }
                for g, rs in by_guide.items()
            },
        }
        for guide, control in CONTROLS.items():
            if guide not in by_guide or "none" not in by_guide:
                continue
            entry[guide] = {}
            for key in figures:
                add = 1.0 if key == "conflicts" else 0.0
                values = figures[key]
                for base, name in (("none", "none"), (control, "random")):
                    if base in values:
                        ratio = _ratio_ci(values[guide], values[base], args.bootstrap, rng, add)
                        entry[guide][f"{key}_ratio_vs_{name}"] = ratio
            conflicts = figures["conflicts"]
            if control in conflicts:
                entry[guide]["lowers_median_conflicts_vs_both"] = bool(
                    np.median(conflicts[guide])
                    < min(np.median(conflicts["none"]), np.median(conflicts[control]))
                )
        summary[family] = entry
    return summary


def _verdict(families: dict, key: str) -> dict:
    """The issue's target, checked on the portfolio's ``key`` ratios to ``none``."""
    ratios = {
        f: e["portfolio"][f"{key}_ratio_vs_none"]
        for f, e in families.items()
        if f"{key}_ratio_vs_none" in e.get("portfolio", {})
    }
    target = {f: r for f, r in ratios.items() if f in TARGET}
    return {
        "faster_on_target_families": sorted(f for f, r in target.items() if r[0] < 1),
        "not_faster_on_target_families": sorted(f for f, r in target.items() if r[0] >= 1),
        "target_families_faster_with_95pct_confidence": sorted(
            f for f, r in target.items() if r[2] < 1
        ),
        f"over_{LIMIT}x_families": sorted(f for f, r in ratios.items() if r[0] > LIMIT),
        "worst_family": max(ratios, key=lambda f: ratios[f][0]) if ratios else None,
        "worst_ratio": max((r[0] for r in ratios.values()), default=None),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start, load_before = time.perf_counter(), os.getloadavg()
    source = json.loads(args.from_rows.read_text()) if args.from_rows else None
    if source is not None:
        rows = source["rows"]
        families = list(dict.fromkeys(r["family"] for r in rows))
        result = {"rows": rows, "families": _summarise(rows, families, args)}
    else:
        result = run(args)
    verdict = {key: _verdict(result["families"], key) for key in ("wall_seconds", "cpu_seconds")}
    helped = {
        guide: sorted(
            f
            for f, e in result["families"].items()
            if e.get(guide, {}).get("lowers_median_conflicts_vs_both")
        )
        for guide in CONTROLS
    }
    # benchmarks/report.py renders the comparison of every guide; a run of some guides (a probe
    # sweep) is recorded under another name
    ran = {r["guide"] for r in result["rows"]}
    name = "sat_guidance" if ran == set(GUIDES) else "sat_guidance_partial"
    record = {
        **record_head(name, args, __doc__, **{"python-sat": pysat.__version__}),
        "verdict": verdict,
        "families_helped": helped,
        "seconds": time.perf_counter() - start,
        # the machine is shared: its 1/5/15-minute load averages before and after the run
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "torch_import_seconds": None if source else _torch_import_seconds(),
        **result,
    }
    if source is not None:  # the run's own settings, time and machine, not the re-summary's
        kept = ("config", "seconds", "load_average", "machine", "versions", "torch_import_seconds")
        record.update({k: source[k] for k in kept if k in source})
    text = json.dumps(record, indent=1) + "\n"
    atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    _print_table(result["families"])
    print(json.dumps(verdict, indent=1))
    print(f"wrote {args.out}")
    return 0


def _print_table(families: dict) -> None:
    print(f"{'family':18s} {'none s':>8s} {'portf s':>8s} {'wall ratio [95% CI]':>22s} "
          f"{'vs random':>22s} {'CPU ratio':>22s} {'net runs':>8s}")  # fmt: skip
    for family, entry in families.items():
        if "portfolio" not in entry:
            continue
        guides, ratios = entry["guides"], entry["portfolio"]
        cells = [
            "{:.2f} [{:.2f}, {:.2f}]".format(*ratios[key])
            for key in (
                "wall_seconds_ratio_vs_none",
                "wall_seconds_ratio_vs_random",
                "cpu_seconds_ratio_vs_none",
            )
            if key in ratios
        ]
        print(
            f"{family:18s} {guides['none']['median_wall_seconds']:8.4f} "
            f"{guides['portfolio']['median_wall_seconds']:8.4f} "
            + " ".join(f"{c:>22s}" for c in cells)
            + f" {guides['portfolio']['network_runs']:>4d}/{entry['instances']}"
        )


if __name__ == "__main__":
    sys.exit(main())
