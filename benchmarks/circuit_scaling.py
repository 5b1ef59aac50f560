"""Compile time and circuit size of multi-digit MNIST addition as the number of digits grows.

    python benchmarks/circuit_scaling.py                      # carry: N=1,2,4,15,100; whole: 1..4
    python benchmarks/circuit_scaling.py --carry 1 2 --whole 1 2 --max-seconds 60

The carry program (programs/mnist_addition_carry.nesy) should grow polynomially; the
whole-number program (programs/mnist_addition_numbers.nesy) grows exponentially and is
expected to stop at the size/time budget with a message saying why. Writes one JSON record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import clingo
import torch

import nesy
from nesy.errors import NesyError
from nesy.infer.compile import compile_queries

ROOT = Path(__file__).resolve().parents[1]


def _row(program_file: str, digits: int, max_seconds: float, max_sdd_size: int) -> dict:
    program = nesy.parse_file(ROOT / "programs" / program_file).with_constants({"n": digits})
    queries = tuple(q.atom for q in program.queries)
    start = time.perf_counter()
    try:
        compiled = compile_queries(
            program, queries, max_seconds=max_seconds, max_sdd_size=max_sdd_size
        )
    except NesyError as error:
        return {
            "program": program_file,
            "digits": digits,
            "seconds": time.perf_counter() - start,
            "stopped": str(error),
        }
    circuit = compiled.circuit
    return {
        "program": program_file,
        "digits": digits,
        "seconds": time.perf_counter() - start,
        "stage_seconds": compiled.timings,
        "variables": circuit.num_vars,
        "nodes": circuit.num_nodes,
        "edges": circuit.num_edges,
        "layers": circuit.num_layers,
        "answers": len(compiled.answers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carry", type=int, nargs="*", default=[1, 2, 4, 15, 100])
    parser.add_argument("--whole", type=int, nargs="*", default=[1, 2, 3, 4])
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--max-sdd-size", type=int, default=20_000_000)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/circuit_scaling.json"
    )
    args = parser.parse_args()
    rows = [
        _row(name, n, args.max_seconds, args.max_sdd_size)
        for name, digits in (
            ("mnist_addition_carry.nesy", args.carry),
            ("mnist_addition_numbers.nesy", args.whole),
        )
        for n in digits
    ]
    print(f"{'program':<30}{'N':>5}{'seconds':>10}{'nodes':>10}{'edges':>10}{'layers':>8}")
    for row in rows:
        if "stopped" in row:
            print(f"{row['program']:<30}{row['digits']:>5}{row['seconds']:>10.2f}  stopped")
        else:
            print(
                f"{row['program']:<30}{row['digits']:>5}{row['seconds']:>10.2f}"
                f"{row['nodes']:>10}{row['edges']:>10}{row['layers']:>8}"
            )
    record = {
        "benchmark": "circuit_scaling",
        "rows": rows,
        "budget": {"max_seconds": args.max_seconds, "max_sdd_size": args.max_sdd_size},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "clingo": clingo.__version__,
            "nesy": nesy.__version__,
        },
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
        "seed": None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
    with os.fdopen(handle, "w") as out:
        json.dump(record, out, indent=2)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
