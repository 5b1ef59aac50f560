"""Tables of how nesy uses the machine: start-up, torch threads, data-parallel scaling."""

from __future__ import annotations

import json

from tables.paths import RESULTS

__all__ = ["startup", "threads", "ddp_scaling"]


def startup(record: dict) -> list[str]:
    """The start-up table; "before" from ``startup_before_*.json`` (the same benchmark run on an
    earlier commit), when there is one."""
    before_files = sorted(RESULTS.glob("startup_before_*.json"))
    before = json.loads(before_files[-1].read_text()) if before_files else None
    earlier = {(r["group"], r["input"]): r for r in before["rows"]} if before else {}
    load = record["machine"]["load_average_before"][0]
    ratios = [row["ratio"] for row in record["rows"] if row["group"] == "solve"]
    cpu_ratios = [row["cpu_ratio"] for row in record["rows"] if row["group"] == "solve"]
    help_s = next(row["nesy"]["median"] for row in record["rows"] if row["group"] == "help")
    verdicts = [
        f"nesy solve within 1.5x: {'met' if max(ratios) <= 1.5 else 'not met'}",
        f"--help under 0.5 s: {'met' if help_s < 0.5 else 'not met'}",
    ]
    lines = [
        "### Start-up (`benchmarks/startup.py`)",
        "",
        f"{record['protocol'].strip()}",
        "",
        f"{record['machine']['cpu_count']} CPUs shared with other jobs (load average "
        f"{load:.1f} at the start); clingo {record['versions']['clingo']}, python-sat "
        f"{record['versions']['python_sat']}."
        + (f' "before": commit {before["commit"]}, wall time only.' if before else ""),
        "",
        f"Here `nesy solve` took {min(ratios):.2f} to {max(ratios):.2f}x clingo's CLI in wall "
        f"time ({min(cpu_ratios):.2f} to {max(cpu_ratios):.2f}x in CPU time) and `nesy --help` "
        f"{help_s:.2f} s (targets, on wall time: {'; '.join(verdicts)}).",
        "",
        "| command | input | nesy s | nesy CPU s | reference s | reference CPU s | ratio | "
        "CPU ratio | before s | ratio before |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    commands = {
        "python": "`python -c pass`",
        "help": "`nesy --help`",
        "solve": "`nesy solve` / `python -m clingo`",
        "sat": "`nesy sat solve --guide none` / python-sat",
    }
    for row in record["rows"]:
        then = earlier.get((row["group"], row["input"]))
        ref = row.get("reference")
        reference = f"{ref['median']:.3f} | {ref['cpu_median']:.3f}" if ref else " | "
        ratio = f"{row['ratio']:.2f}x | {row['cpu_ratio']:.2f}x" if ref else " | "
        then_s = f"{then['nesy']['median']:.3f}" if then else ""
        then_ratio = f"{then['ratio']:.1f}x" if then and "ratio" in then else ""
        lines.append(
            f"| {commands[row['group']]} | {row['input']} | {row['nesy']['median']:.3f} | "
            f"{row['nesy']['cpu_median']:.3f} | {reference} | {ratio} | {then_s} | {then_ratio} |"
        )
    return lines


def threads(record: dict) -> list[str]:
    load = record["machine"]["load_before"][0]
    lines = [
        "### Torch threads for training (`benchmarks/threads.py`)",
        "",
        f"{record['protocol'].strip()}",
        "",
        f"{record['machine']['cpu_count']} CPUs shared with other jobs (load average {load:.1f} "
        f"at the start), torch {record['versions']['torch']}.",
        "",
        f"| threads | epoch's training s (median of {record['config']['repeats']}) | "
        "whole command s |",
        "|---|---|---|",
    ]
    default = record["machine"]["torch_default_threads"]
    for row in record["rows"]:
        note = " (torch's default here)" if row["threads"] == default else ""
        lines.append(
            f"| {row['threads']}{note} | {row['train_seconds']:.2f} | {row['wall_seconds']:.1f} |"
        )
    return lines


def ddp_scaling(record: dict) -> list[str]:
    lines = [
        "### Data-parallel training (`benchmarks/ddp_scaling.py`)",
        "",
        f"{record['protocol']}",
        "",
        f"{record['machine']['cpu_count']} CPUs (shared with other jobs), torch "
        f"{record['versions']['torch']}, device {record['config']['device']}.",
        "",
        f"| processes | examples/s (median of {record['config']['repeats']}) | speed-up | "
        "wall s (median) |",
        "|---|---|---|---|",
    ]
    for row in record["rows"]:
        lines.append(
            f"| {row['processes']} | {row['examples_per_second']:.0f} | "
            f"{row['speedup']:.2f}x | {row['wall_seconds']:.1f} |"
        )
    return lines
