"""Tables of the SAT benchmarks: NeuroSAT, the guides, the portfolio guide by family."""

from __future__ import annotations

import functools
import hashlib

from tables.paths import ROOT

__all__ = ["neurosat", "sat_guidance", "sat_portfolio"]

SHIPPED = ROOT / "solvers" / "sat" / "models" / "neurosat.pt"


@functools.cache
def _shipped_sha256() -> str:
    return hashlib.sha256(SHIPPED.read_bytes()).hexdigest()


def neurosat(record: dict) -> list[str]:
    sr40, training = record["sr40"], record["training"]
    data, config, final = training["data"], training["config"], training["final"]
    # the record of the model that ships names its file's sha256 (older records name none)
    shipped = record.get("model_sha256") == _shipped_sha256()
    where = "The shipped model (`solvers/sat/models/neurosat.pt`)" if shipped else "A model"
    if "highs" in data:  # a checkpoint of benchmarks/neurosat_curriculum.py
        low, high = final.get("n", (data["low"], data["highs"][-1]))  # the stage it stopped in
        model = (
            f"{where}, from the curriculum (`benchmarks/neurosat_curriculum.py`): a trained "
            f"model continued on SR(U({data['low']}, n)), n = "
            f"{', '.join(map(str, data['highs']))} ({config['pairs']:,} pairs a stage), for "
            f"{final['seconds']:.0f} s on {training['machine']['device']} "
            f"(last validation accuracy {final['validation_accuracy']:.3f} on "
            f"SR(U({low}, {high})))."
        )
        title = "NeuroSAT after the curriculum, on SR(n)"
    else:
        model = (
            f"{where}: d = {config['d']}, {config['rounds']} rounds, trained on "
            f"SR(U({data['low']}, {data['high']})) ({data['pairs']:,} pairs) for "
            f"{final['seconds']:.0f} s on {training['machine']['device']} "
            f"(validation accuracy {final['validation_accuracy']:.3f})."
        )
        title = f"NeuroSAT trained on SR(U({data['low']}, {data['high']})), on SR(n)"
    title += ": the shipped model" if shipped else ""
    threads = record["config"]["threads"]
    lines = [
        f"### {title} (`benchmarks/neurosat.py`)",
        "",
        f"{model} Measured on {record['machine']['device']} ({threads} torch "
        f"thread{'s' if threads != 1 else ''}), fresh pairs.",
        "",
        f"- SR(40), {sr40['pairs']} pairs, {sr40['rounds']} rounds: classification accuracy "
        f"**{sr40['accuracy']:.3f}** (paper: 0.85), satisfiable problems decoded to a verified "
        f"model **{sr40['decoded_share']:.3f}** (paper: 0.70).",
    ]
    if "core" in record and shipped:  # measured with the model it ships beside
        core = record["core"]
        lines.append(
            f"- Core model on the unsatisfiable SR(40) members: per-variable accuracy "
            f"{core['variable_accuracy']:.3f}, against {core['positive_share']:.3f} for always "
            "saying 'in the core'."
        )
    rounds = sorted({r["rounds"] for r in record["rounds"]})
    lines += [
        "",
        "Share of satisfiable SR(n) problems decoded, by rounds at test time:",
        "",
        "| n | " + " | ".join(f"{r} rounds" for r in rounds) + " |",
        "|---|" + "---|" * len(rounds),
    ]
    for n in sorted({r["n"] for r in record["rounds"]}):
        shares = {r["rounds"]: r["decoded_share"] for r in record["rounds"] if r["n"] == n}
        lines.append(f"| {n} | " + " | ".join(f"{shares[r]:.3f}" for r in rounds) + " |")
    if not shipped:
        return lines
    lines += [
        "",
        "Training curves (`benchmarks/neurosat_curves.py`; the core head's accuracy is per "
        "variable, against about 0.8 for always answering 'in the core'):",
        "",
        "![NeuroSAT training curves](results/neurosat_curves.png)",
    ]
    return lines


def sat_guidance(record: dict) -> list[str]:
    config = record["config"]
    guides = ("none", "phases", "random-phases", "core", "random-core")
    lines = [
        "### Neural guidance on SATLIB (`benchmarks/sat_guidance.py`)",
        "",
        record["protocol"],
        "",
        f"{config['solver']}, timeout {config['timeout']:g} s, up to {config['per_family']} "
        f"instances per family, python-sat {record['versions']['python-sat']}, "
        f"{record['machine']['torch_threads']} torch thread(s). Median conflicts per guide "
        "(solved / instances where some timed out); ratios are (median + 1) guided over unguided "
        "and over the random control, with 95% bootstrap intervals; **bold**: lower than both. "
        "Network s: the NeuroSAT and core networks' time per instance (CPU).",
        "",
        "| family | n | " + " | ".join(guides) + " | phases / none | phases / random "
        "| core / none | core / random | network s (median) |",
        "|---|---|" + "---|" * (len(guides) + 5),
    ]

    def ratio(r: list[float]) -> str:
        return f"{r[0]:.2f} [{r[1]:.2f}, {r[2]:.2f}]"

    for family, entry in record["families"].items():
        n = entry["instances"]
        cells = []
        for g in guides:
            stats = entry["guides"][g]
            text = f"{stats['median_conflicts']:g}"
            if stats["solved"] < n:
                text += f" ({stats['solved']}/{n})"
            if g in ("phases", "core") and entry[g]["lowers_median_conflicts_vs_both"]:
                text = f"**{text}**"
            cells.append(text)
        network = entry["guides"]["phases"]["median_network_seconds"]
        lines.append(
            f"| {family} | {n} | " + " | ".join(cells) + " | "
            f"{ratio(entry['phases']['conflicts_ratio_vs_none'])} | "
            f"{ratio(entry['phases']['conflicts_ratio_vs_random'])} | "
            f"{ratio(entry['core']['conflicts_ratio_vs_none'])} | "
            f"{ratio(entry['core']['conflicts_ratio_vs_random'])} | {network:.2f} |"
        )
    helped = record["families_helped"]
    total = len(record["families"])
    lines += [
        "",
        f"- phases lower the median conflicts against both the unguided solver and the random "
        f"control on **{len(helped['phases'])} of {total}** families; core guidance on "
        f"**{len(helped['core'])} of {total}**.",
    ]
    portfolio = sat_portfolio(record)  # a run of every guide has the portfolio's too
    return lines + ([""] + portfolio if portfolio else [])


def sat_portfolio(record: dict) -> list[str]:
    """The portfolio guide's wall time over the unguided solver's, family by family (a run
    over every family; the probe sweeps, over a few families each, stay in their JSON)."""
    config = record["config"]
    if "portfolio" not in config["guides"] or config["families"] is not None:
        return []
    verdict = record["verdict"]["wall_seconds"]
    lines = [
        "### The portfolio guide on SATLIB, wall time (`benchmarks/sat_guidance.py`)",
        "",
        f"{config['solver']}, unguided for {config['probe']} conflicts, then NeuroSAT at "
        f"{config['rounds']} rounds (bfloat16) only on formulas still open; timeout "
        f"{config['timeout']:g} s, up to {config['per_family']} instances per family, "
        f"{record['machine']['torch_threads']} torch thread; load average "
        f"{record['load_average']['before'][0]:.1f} -> {record['load_average']['after'][0]:.1f}. "
        "Wall time includes loading and running the network. Ratio: median wall time of the "
        "guide over the unguided solver's, with its 95% bootstrap interval.",
        "",
        "| family | instances | network ran | unguided median s | portfolio / unguided "
        "| random-portfolio / unguided |",
        "|---|---|---|---|---|---|",
    ]
    for name, family in record["families"].items():
        guides, ratios = family["guides"], family.get("portfolio", {})
        if "wall_seconds_ratio_vs_none" not in ratios:
            continue
        mid, low, high = ratios["wall_seconds_ratio_vs_none"]
        control = guides["random-portfolio"]["median_wall_seconds"]
        lines.append(
            f"| {name} | {family['instances']} | {guides['portfolio']['network_runs']} "
            f"| {guides['none']['median_wall_seconds']:.4f} | {mid:.2f} [{low:.2f}, {high:.2f}] "
            f"| {control / guides['none']['median_wall_seconds']:.2f} |"
        )
    lines += [
        "",
        f"Worst family: {verdict['worst_family']} ({verdict['worst_ratio']:.2f}x); families past "
        f"1.2x: {', '.join(verdict['over_1.2x_families']) or 'none'}; target families (uniform "
        "random, 150-250 variables) faster with 95% confidence: "
        f"{', '.join(verdict['target_families_faster_with_95pct_confidence']) or 'none'}.",
    ]
    return lines
