"""NeuroSAT: measure what the paper measures, for a trained model (`nesy sat train` makes one).

    python benchmarks/neurosat.py --pairs 200 --size-pairs 30 --round-list 26 64 128

It measures, on fresh SR(40) pairs, the classification accuracy at the training rounds and the
share of satisfiable problems for which a verified model is decoded, then the decoded share for
larger n as the number of rounds grows (the paper: 85% accuracy and 70% decoded at SR(40)); the
core model's per-variable accuracy on the unsatisfiable members. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from nesy.train.checkpoint import atomic_write_bytes
from solvers.sat.decode import decode
from solvers.sat.neurosat import Graph
from solvers.sat.train import (
    evaluate,
    load_model,
    machine,
    make_examples,
    pack,
)

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "solvers" / "sat" / "models"


def _write_json(path: Path, record: dict) -> None:
    text = json.dumps(record, indent=1) + "\n"
    atomic_write_bytes(path, lambda f: f.write(text.encode()))


def _decoded_share(model, examples, rounds: int, max_nodes: int, device: str) -> float:
    """Share of the satisfiable examples for which a verified model is decoded."""
    sat = [e for e in examples if e.target == 1.0]
    found = 0
    with torch.no_grad():
        for group in pack(sat, max_nodes):
            graph = Graph.batch([e.cnf for e in group]).to(device)
            output = model(graph, rounds)
            found += sum(decode(e.cnf, graph, output, i) is not None for i, e in enumerate(group))
    return found / max(len(sat), 1)


def cmd_eval(args: argparse.Namespace) -> int:
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    record: dict = {"benchmark": "neurosat", "machine": machine(), "config": options}
    model, meta = load_model(args.model)
    model.to(args.device)
    record["training"] = {k: meta[k] for k in ("config", "data", "data_seconds", "machine")}
    record["training"]["final"] = meta["curve"][-1]
    # which file was measured: the results table marks the record whose model ships
    record["model_sha256"] = hashlib.sha256(Path(args.model).read_bytes()).hexdigest()
    test = make_examples(args.pairs, 40, 40, args.seed, "sat", args.workers)
    accuracy = evaluate(model, test, args.max_nodes, args.device)
    decoded = _decoded_share(model, test, model.rounds, args.max_nodes, args.device)
    record["sr40"] = {
        "pairs": args.pairs,
        "rounds": model.rounds,
        "accuracy": accuracy,
        "decoded_share": decoded,
    }
    print(
        f"SR(40): accuracy {accuracy:.4f}, decoded {decoded:.4f} of the satisfiable "
        f"({args.pairs} pairs, {model.rounds} rounds)",
        flush=True,
    )
    rows = []
    for n in args.sizes:
        problems = make_examples(args.size_pairs, n, n, args.seed + n, "sat", args.workers)
        for rounds in args.round_list:
            start = time.perf_counter()
            share = _decoded_share(model, problems, rounds, args.max_nodes, args.device)
            rows.append(
                {
                    "n": n,
                    "rounds": rounds,
                    "decoded_share": share,
                    "seconds": time.perf_counter() - start,
                }
            )
            print(f"SR({n}) {rounds:4d} rounds: decoded {share:.3f}", flush=True)
    record["rounds"] = rows
    if args.core_model and Path(args.core_model).exists():
        core, core_meta = load_model(args.core_model)
        core.to(args.device)
        unsat = make_examples(args.pairs // 2, 40, 40, args.seed, "core", args.workers)
        record["core"] = {
            "variable_accuracy": evaluate(core, unsat, args.max_nodes, args.device),
            "positive_share": float(np.mean(np.concatenate([e.target for e in unsat]))),
            "final": core_meta["curve"][-1],
        }
        print(
            f"core: per-variable accuracy {record['core']['variable_accuracy']:.4f} "
            f"(share of core variables {record['core']['positive_share']:.3f})",
            flush=True,
        )
    _write_json(args.out, record)
    print(f"wrote {args.out}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    e = p
    e.add_argument("--model", type=Path, default=MODELS / "neurosat.pt")
    e.add_argument("--core-model", type=Path, default=MODELS / "neurocore.pt")
    e.add_argument("--pairs", type=int, default=1000)
    e.add_argument("--sizes", type=int, nargs="*", default=[40, 80, 120, 200])
    e.add_argument("--size-pairs", type=int, default=100)
    e.add_argument("--round-list", type=int, nargs="*", default=[26, 64, 128, 256])
    e.add_argument("--max-nodes", type=int, default=40_000)
    e.add_argument("--out", type=Path, default=REPO / "benchmarks/results/neurosat.json")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--device", default="cpu")
    e.add_argument("--workers", type=int, default=None)
    e.add_argument("--threads", type=int, default=1, help="torch threads on the CPU")
    return p.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    torch.set_num_threads(arguments.threads)
    sys.exit(cmd_eval(arguments))
