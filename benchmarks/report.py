"""Regenerate the results section of benchmarks/README.md from the benchmark JSON files.

    python benchmarks/report.py            # rewrites benchmarks/README.md between the markers
    python benchmarks/report.py --check    # exits 1 if benchmarks/README.md is out of date

Every figure the results section states is read from ``benchmarks/results/*.json``; none is
typed by hand. Image links are relative to benchmarks/README.md, where the section lives. The
tables themselves are in benchmarks/tables/, one module per family of benchmarks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from tables import inference, machine, robustness, sat, training
from tables.paths import RESULTS, ROOT, TARGET

START, END = "<!-- results:start -->", "<!-- results:end -->"

#: a record's ``benchmark`` name -> the function that renders it (records of other names, such
#: as a run's per-seed files, have no table of their own)
RENDERERS: dict[str, Callable[[dict], list[str]]] = {
    "anesi": training.anesi,
    "anesi_explanations": training.anesi_explanations,
    "anesi_relabel": training.anesi_relabel,
    "ceiling_spread": training.ceiling_spread,
    "asper": training.asper,
    "visual_sudoku": training.visual_sudoku,
    "visudo_asp": training.visudo_asp,
    "visudo_anesi": training.visudo_anesi,
    "mnist_addition_N1": training.mnist_addition_n1,
    "circuit_scaling": inference.circuit_scaling,
    "mnist_addition_digits": training.mnist_addition_digits,
    "deepproblog_digits": training.deepproblog_digits,
    "edcr_fashion": training.edcr_fashion,
    "neurosat": sat.neurosat,
    "sat_guidance": sat.sat_guidance,
    "sat_guidance_partial": sat.sat_portfolio,
    "possibilistic": inference.possibilistic,
    "possibilistic_kernels": inference.possibilistic_kernels,
    "ddp_scaling": machine.ddp_scaling,
    "startup": machine.startup,
    "threads": machine.threads,
    "exact_vs_problog": inference.exact_vs_problog,
    "hostile": robustness.hostile,
}


def render() -> str:
    blocks = []
    for path in sorted(RESULTS.glob("*.json")):
        record = json.loads(path.read_text())
        renderer = RENDERERS.get(record.get("benchmark", ""))
        lines = renderer(record) if renderer is not None else []
        if lines:
            blocks.append("\n".join(lines) + f"\n\n(from `{path.relative_to(ROOT)}`)")
    return "\n\n".join(blocks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = TARGET.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{render()}\n{END}{tail}"
    if args.check:
        return 0 if new == text else 1
    tmp = TARGET.with_suffix(".md.tmp")
    tmp.write_text(new)
    tmp.replace(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
