"""Tables of how nesy takes hostile input."""

from __future__ import annotations

__all__ = ["hostile"]


def hostile(record: dict) -> list[str]:
    rows = record["rows"]
    failed = [row for row in rows if not row["passed"]]
    machine, versions = record["machine"], record["versions"]
    lines = [
        "### Hostile input (`benchmarks/hostile.py`)",
        "",
        record["protocol"].strip(),
        "",
        f"{machine['cpu_count']} CPUs shared with other jobs (load average "
        f"{machine['load_average_before'][0]:.1f} at the start); nesy {versions['nesy']}, "
        f"torch {versions['torch']}, clingo {versions['clingo']}, python-sat "
        f"{versions['python_sat']}; seed {record['config']['seed']}.",
        "",
        f"**{len(rows) - len(failed)} of {len(rows)} cases passed**"
        + (f"; failed: {', '.join(row['case'] for row in failed)}." if failed else "."),
        "",
        "| case | command | bound s | exit | wall s | peak MB | verdict | first stderr line |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        verdict = "pass" if row["passed"] else "FAIL: " + "; ".join(row["problems"])
        first = row["stderr_first_line"].replace("|", "\\|")
        command = row["command"].replace("|", "\\|")
        first = first if len(first) <= 90 else first[:87] + "..."
        lines.append(
            f"| {row['case']} | `{command}` | {row['bound_seconds']:g} | {row['rc']} | "
            f"{row['wall_seconds']:.1f} | {row['peak_mb']:.0f} | {verdict} | {first} |"
        )
    return lines
