"""Tables of the inference benchmarks: circuit scaling, exact inference against ProbLog,
possibilistic reasoning."""

from __future__ import annotations

from tables.format import ms

__all__ = ["circuit_scaling", "exact_vs_problog", "possibilistic", "possibilistic_kernels"]


def circuit_scaling(record: dict) -> list[str]:
    lines = [
        "### Multi-digit addition: compile time and circuit size (`benchmarks/circuit_scaling.py`)",
        "",
        "| program | N | compile s | circuit nodes | edges | layers |",
        "|---|---|---|---|---|---|",
    ]
    for row in record["rows"]:
        name = row["program"].removesuffix(".nesy")
        if "stopped" in row:
            reason = row["stopped"].split(". A program")[0].split("stopped: ")[-1]
            lines.append(
                f"| {name} | {row['digits']} | {row['seconds']:.1f} | stopped: {reason} | | |"
            )
        else:
            lines.append(
                f"| {name} | {row['digits']} | {row['seconds']:.2f} | {row['nodes']:,} | "
                f"{row['edges']:,} | {row['layers']} |"
            )
    budget = record["budget"]
    lines += [
        "",
        f"Budget: {budget['max_sdd_size']:,} SDD nodes or {budget['max_seconds']:.0f} s per "
        f"program; peak RSS {record['peak_rss_mb']:.0f} MB.",
    ]
    return lines


def exact_vs_problog(record: dict) -> list[str]:
    machine, versions = record["machine"], record["versions"]
    limit = record["config"]["limit"]
    lines = [
        "### Exact inference, nesy vs ProbLog (`benchmarks/exact_vs_problog.py`)",
        "",
        f"{' '.join(record['protocol'].split())} ProbLog {versions['problog']}, "
        f"PySDD {versions['pysdd']}; "
        f"{record['config']['reps']} repetition(s), limit {limit:.0f} s, seed {record['seed']}; "
        f"{machine['cpu_count']} CPUs shared with other work, torch {versions['torch']}.",
        "",
        "| family | size | nesy s | ProbLog s | nesy / ProbLog | max abs difference |",
        "|---|---|---|---|---|---|",
    ]
    slower = []

    def cell(entry: dict | None) -> str:
        if entry is None:
            return "-"
        if "median_s" in entry:
            return f"{entry['median_s']:.3f}"
        if entry.get("over_time"):
            return f"> {limit:.0f}"
        return "over budget" if "budget" in entry["error"] else "error"

    for family in record["families"]:
        for row in family["rows"]:
            nesy, problog = row.get("nesy"), row.get("problog")
            ratio = ""
            if nesy and problog and "median_s" in nesy and "median_s" in problog:
                value = nesy["median_s"] / problog["median_s"]
                ratio = f"{value:.2f}x"
                if value > 1:
                    slower.append((f"{family['family']} {row['size']}", problog["median_s"]))
            diff = row.get("max_abs_difference", "")
            diff = f"{diff:.0e}" if isinstance(diff, float) else diff
            lines.append(
                f"| {family['family']} | {row['size']} | {cell(nesy)} | {cell(problog)} | "
                f"{ratio} | {diff} |"
            )
    lines += ["", f"Largest size answered within {limit:.0f} s:", ""]
    for family in record["families"]:
        last = family["rows"][-1]["size"]
        largest = {
            system: f"{size} (the largest run)" if size == last else str(size)
            for system, size in family["largest_within_limit"].items()
        }
        doc = " ".join(family["doc"].replace("``", "").split()).rstrip(".")
        lines.append(
            f"- {family['family']} ({doc}): nesy **{largest['nesy']}**, "
            f"ProbLog **{largest['problog']}**"
        )
    if slower:
        lines += [
            "",
            f"nesy is **slower** than ProbLog at {', '.join(name for name, _ in slower)} "
            f"(where ProbLog takes at most {max(t for _, t in slower):.2f} s).",
        ]
    return lines


def possibilistic(record: dict) -> list[str]:
    config = record["config"]
    by = {(r["digits"], r["backend"]): r for r in record["addition"]}
    lines = [
        "### Pi-NeSy, the possibilistic backend (`benchmarks/possibilistic.py`)",
        "",
        f"{record['protocol']}",
        "",
        f"MNIST-addition: seeds {', '.join(map(str, config['seeds']))}, mean ± std over seeds; "
        f"CNN {config['cnn_epochs']} epochs. Learning = rule learning at the chosen thresholds "
        "(the threshold search, in brackets, relearns the cascade once per try); inference = "
        "possibilistic part per test sum, all 5,000 test sums in one batch. The exact backend's "
        "time is its whole end-to-end training.",
        "",
        "| k | Pi-NeSy-1 accuracy | Pi-NeSy-2 accuracy | ambiguous (1 / 2) | CNN digit accuracy "
        "(digit labels) | learning s (search s) | inference ms per sum | exact backend accuracy "
        "(sum labels only) | exact: digit accuracy | exact: training s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k in config["digits"]:
        one, two = by[(k, "Pi-NeSy-1")], by[(k, "Pi-NeSy-2")]
        exact = by.get((k, "exact"))
        exact_cells = (
            f"{ms(exact['accuracy'], 4)} | {exact['cnn_digit_accuracy']['mean']:.4f} | "
            f"{exact['train_seconds']['mean']:.1f}"
            if exact
            else "- | - | -"
        )
        lines.append(
            f"| {k} | {ms(one['accuracy'], 4)} | {ms(two['accuracy'], 4)} | "
            f"{one['ambiguous_rate']['mean']:.4f} / {two['ambiguous_rate']['mean']:.4f} | "
            f"{one['cnn_digit_accuracy']['mean']:.4f} | {one['learn_seconds']['mean']:.2f} "
            f"({one['search_seconds']['mean']:.1f}) | "
            f"{one['inference_ms_per_example']['mean']:.3f} | {exact_cells} |"
        )
    lines += [
        "",
        f"ViSudo-PC: {config['splits']} splits (seeds 0..{config['splits'] - 1}), mean ± std "
        "over splits; the CNN learns each distinct training cell image once per epoch.",
        "",
        "| size | method | accuracy | ambiguous | ROC-AUC | ROC-AUC (authors' per-class) | "
        "CNN cell accuracy | CNN s | learning s (incl. search) | inference ms per puzzle |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in record["sudoku"]:
        # the second method reuses the first one's CNN
        cnn_seconds = f"{row['cnn_seconds']['mean']:.0f}" if row["method"] == 1 else "shared"
        lines.append(
            f"| {row['size']}x{row['size']} | Pi-NeSy-{row['method']} | "
            f"{ms(row['accuracy'], 3)} | {row['ambiguous_rate']['mean']:.3f} | "
            f"{ms(row['roc_auc'], 3)} | {row['roc_auc_per_class']['mean']:.3f} | "
            f"{row['cnn_accuracy']['mean']:.4f} | {cnn_seconds} | "
            f"{row['learning_seconds']['mean']:.1f} | "
            f"{1000 * row['inference_seconds_per_puzzle']['mean']:.3f} |"
        )
    return lines


def possibilistic_kernels(record: dict) -> list[str]:
    lines = [
        "### Pi-NeSy kernels (`benchmarks/possibilistic_kernels.py`)",
        "",
        f"{record['protocol']}",
        "",
        "| kernel | shape | ms |",
        "|---|---|---|",
    ]
    for row in record["rows"]:
        note = ""
        if "agrees_with_formula" in row:
            note = (
                " (equal to the formula: " + ("yes" if row["agrees_with_formula"] else "NO") + ")"
            )
        if "speedup_of_sorted" in row:
            note = f" ({row['speedup_of_sorted']:.0f}x the sorted algorithm's time)"
        lines.append(f"| {row['kernel']}{note} | {row['shape']} | {1000 * row['seconds']:.1f} |")
    return lines
