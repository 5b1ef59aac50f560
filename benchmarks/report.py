"""Regenerate the results section of benchmarks/README.md from the benchmark JSON files.

    python benchmarks/report.py            # rewrites benchmarks/README.md between the markers
    python benchmarks/report.py --check    # exits 1 if benchmarks/README.md is out of date

Every figure the results section states is read from ``benchmarks/results/*.json``; none is
typed by hand. Image links are relative to benchmarks/README.md, where the section lives.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
START, END = "<!-- results:start -->", "<!-- results:end -->"
TARGET = ROOT / "benchmarks" / "README.md"


def _mnist_addition_n1(record: dict) -> list[str]:
    nesy, sup, ratios = record["nesy"], record["supervised"], record["ratios"]
    machine = record["machine"]
    lines = [
        "### MNIST addition, N = 1 (`benchmarks/mnist_addition.py`)",
        "",
        f"{record['protocol']}. {record['config']['epochs']} epochs, Adam lr "
        f"{record['config']['lr']}, batch {record['config']['batch_size']} pairs, seed "
        f"{record['seed']}; {machine['cpu_count']} CPUs, {machine['torch_threads']} torch "
        f"thread(s), torch {record['versions']['torch']}.",
        "",
        "| system | sum accuracy | digit accuracy | training examples/s | ms per image |",
        "|---|---|---|---|---|",
        f"| nesy | {nesy['sum_accuracy']:.4f} | {nesy['digit_accuracy']:.4f} | "
        f"{nesy['examples_per_second']:.0f} | {1e3 * nesy['seconds_per_image']:.3f} |",
        f"| supervised CNN (digit labels): ceiling d^2 | {sup['sum_ceiling']:.4f} | "
        f"{sup['digit_accuracy']:.4f} | - | {1e3 * sup['seconds_per_image']:.3f} |",
    ]
    dpl = record.get("deepproblog")
    if dpl:
        same = dpl["nesy_same_settings"]
        lines += [
            f"| DeepProbLog {record['versions'].get('deepproblog', '')} (batch "
            f"{dpl['batch_size']}, {dpl['examples']} pairs, {dpl['test_pairs']} test pairs) | "
            f"{dpl['sum_accuracy']:.4f} | - | {dpl['examples_per_second']:.1f} | - |",
            f"| nesy, DeepProbLog's settings | {same['sum_accuracy']:.4f} | - | "
            f"{same['examples_per_second']:.1f} | - |",
        ]
    lines += [
        "",
        f"- sum accuracy / ceiling: **{ratios['sum_accuracy_over_ceiling']:.3f}** (target >= 0.99)",
        f"- reasoning overhead (training time per image vs supervised): "
        f"**{ratios['reasoning_overhead']:.2f}x** whole run, "
        f"{ratios['reasoning_overhead_interleaved_steps']:.2f}x interleaved steps (target <= 1.5)",
    ]
    if dpl:
        same_speed = ratios["speed_vs_deepproblog_same_settings"]
        lines.append(
            f"- training throughput vs DeepProbLog: **{same_speed:.1f}x** at its batch size 2, "
            f"{ratios['speed_vs_deepproblog_tuned']:.0f}x at nesy's (target >= 10x)"
        )
    lines.append(f"- peak RSS {record['peak_rss_mb']:.0f} MB")
    return lines


def _circuit_scaling(record: dict) -> list[str]:
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


def _mnist_addition_digits(record: dict) -> list[str]:
    lines = [
        "### Multi-digit MNIST addition, sum label only (`benchmarks/mnist_addition_digits.py`)",
        "",
        f"{record['protocol']}. Exact rows: seeds {record['seeds']}; approximate rows: seeds "
        f"{record['approx_seeds']}. {record['machine'].get('torch_threads', '?')} torch "
        "thread(s). Overhead: nesy's training time per image over the supervised CNN's (whole "
        "runs, mean over seeds; and median interleaved steps). Peak RSS: of the benchmark's "
        "process so far.",
        "",
        "| N | mode | epochs / batch / lr / schedule | sum accuracy | ceiling d^(2N) "
        "| ratio, mean (min..max) | digit accuracy | supervised digit accuracy | epoch s "
        "| overhead: runs / steps | circuit nodes / edges | compile s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in record["rows"]:
        s, c, ratio = row["settings"], row["circuit"], row["sum_accuracy_over_ceiling"]
        acc = row["sum_accuracy"]
        # Later rows of an N reuse the compiled circuit (compile_queries caches it).
        compile_s = "cached" if row["approximate"] else f"{row['build_seconds']:.2f}"
        lines.append(
            f"| {row['digits']} | {row['mode']} | {s['epochs']} / {s['batch_size']} / "
            f"{s['lr']:g} / {s['schedule']} | {acc['mean']:.4f} ± {acc['std']:.4f} | "
            f"{row['sum_ceiling']['mean']:.4f} | **{ratio['mean']:.3f}** ({ratio['min']:.3f}.."
            f"{ratio['max']:.3f}) | {row['digit_accuracy']['mean']:.4f} | "
            f"{row['supervised_digit_accuracy']['mean']:.4f} | "
            f"{row['epoch_seconds']['mean']:.2f} | {row['reasoning_overhead']['mean']:.2f}x / "
            f"{row['reasoning_overhead_interleaved_steps']:.2f}x | "
            f"{c['nodes']:,} / {c['edges']:,} | {compile_s} | "
            f"{row['peak_rss_mb_so_far']:.0f} |"
        )
    return lines


def _deepproblog_digits(record: dict) -> list[str]:
    cap = record["config"]["cap_seconds"]
    lines = [
        "### Multi-digit addition, nesy vs DeepProbLog (`benchmarks/deepproblog_digits.py`)",
        "",
        f"{record['protocol']}",
        "",
        f"| N | system | examples trained | train s (cap {cap:g}) | examples/s | sum accuracy "
        "| digit accuracy | nesy / DeepProbLog speed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in record["rows"]:
        ratio, at_least = row["speed_ratio_nesy_over_deepproblog"], row["speed_ratio_at_least"]
        for name, label in (("deepproblog", "DeepProbLog"), ("nesy", "nesy")):
            r = row[name]
            speed = f"{ratio:.0f}x" if ratio else f">{at_least:.0f}x"
            if name == "deepproblog":
                speed = ""
            elif "full_pass" in r:  # DeepProbLog capped: nesy's rate over the whole pass
                speed += (
                    f" (nesy: {r['full_pass']['examples_per_second']:.0f} examples/s, full pass)"
                )
            elif row["deepproblog"].get("capped"):  # nesy's rate over a handful of examples
                speed += f" (over {row['deepproblog']['examples']} examples)"
            capped = " (capped)" if r.get("capped") else ""
            lines.append(
                f"| {row['digits']} | {label} | {r['examples']} / {row['train_examples_per_pass']} "
                f"| {r['train_seconds']:.1f}{capped} | {r['examples_per_second']:.2f} "
                f"| {r['sum_accuracy']:.4f} | {r['digit_accuracy']:.4f} | {speed} |"
            )
    return lines


def _ms(value: dict, digits: int = 3) -> str:
    """``mean ± std`` of a summary leaf."""
    return f"{value['mean']:.{digits}f} ± {value['std']:.{digits}f}"


def _prf(scores: dict) -> str:
    return " / ".join(f"{scores[k]['mean']:.3f}" for k in ("precision", "recall", "f1"))


def _edcr_fashion(record: dict) -> list[str]:
    summary, config = record["summary"], record["config"]
    seeds = ", ".join(str(s) for s in config["seeds"])
    left_out = "; ".join(f"seed {r['seed']}: {', '.join(r['left_out'])}" for r in record["runs"])
    lines = [
        "### Error detection and correction rules on Fashion-MNIST (`benchmarks/edcr_fashion.py`)",
        "",
        f"{record['protocol']}",
        "",
        f"Seeds {seeds}, mean ± std over seeds; models trained {config['epochs']} epochs; "
        f"DetRuleLearn epsilon {config['epsilon']}; few-shot: {config['few_shot']} training "
        f"images per left-out class. Left-out classes: {left_out}. All figures on the 10,000 "
        "test images.",
        "",
        "| setting | base fine accuracy | after correction (guarded) | after correction "
        "(published) | macro-F1: base / guarded | EDCR detection P / R / F1 | detect + correct: "
        "coverage / selective accuracy | f-EDR detection P / R / F1 | f-EDR balanced accuracy "
        "| constraints P / R / F1 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for setting, row in summary.items():
        e, f = row["edcr"], row["fedr"]
        both = e["detect_correct"]
        lines.append(
            f"| {setting} | {_ms(row['base']['fine_accuracy'], 4)} | "
            f"**{_ms(e['accuracy_after_correction'], 4)}** | "
            f"{_ms(e['published_correction']['accuracy'], 4)} | "
            f"{row['base']['fine_macro_f1']['mean']:.4f} / "
            f"{e['macro_f1_after_correction']['mean']:.4f} | {_prf(e['detection'])} | "
            f"{both['coverage']['mean']:.3f} / {both['selective_accuracy']['mean']:.4f} | "
            f"{_prf(f['detection'])} | {f['detection']['balanced_accuracy']['mean']:.3f} | "
            f"{_prf(f['constraints'])} |"
        )
    lines += [
        "",
        "Left-out classes (zero- and few-shot): accuracy on the test images of the left-out "
        "classes and of the others, before and after correction.",
        "",
        "| setting | left-out: base | left-out: guarded | left-out: published | others: base "
        "| others: guarded |",
        "|---|---|---|---|---|---|",
    ]
    for setting, row in summary.items():
        if "left_out" not in row["edcr"]:
            continue
        u = row["edcr"]["left_out"]
        lines.append(
            f"| {setting} | {_ms(u['base_accuracy'])} | **{_ms(u['accuracy_after_correction'])}** "
            f"| {_ms(u['accuracy_after_published_correction'])} | "
            f"{_ms(u['seen_base_accuracy'])} | {_ms(u['seen_accuracy_after_correction'])} |"
        )
    lines += [
        "",
        "Noise sweep (f-EDR, `all` models): fine classes 0..r-1 removed from the rule-learning "
        "labels.",
        "",
        "| classes removed | noise ratio | conditions | balanced error accuracy | error F1 "
        "| constraint F1 |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary["all"]["noise"]:
        d = row["detection"]
        lines.append(
            f"| {row['removed']['mean']:.0f} | {row['noise_ratio']['mean']:.3f} | "
            f"{row['conditions']['mean']:.0f} | {_ms(d['balanced_accuracy'])} | {_ms(d['f1'])} | "
            f"{_ms(row['constraints']['f1'])} |"
        )
    lines += ["", "![f-EDR under label noise](results/edcr_noise.png)"]
    return lines


def _neurosat(record: dict) -> list[str]:
    sr40, training = record["sr40"], record["training"]
    data, config = training["data"], training["config"]
    lines = [
        "### NeuroSAT on SR(n) (`benchmarks/neurosat.py eval`)",
        "",
        f"The shipped model: d = {config['d']}, {config['rounds']} rounds, trained on "
        f"SR(U({data['low']}, {data['high']})) ({data['pairs']:,} pairs) for "
        f"{training['final']['seconds']:.0f} s on {training['machine']['device']} "
        f"(validation accuracy {training['final']['validation_accuracy']:.3f}). Measured on "
        f"{record['machine']['device']} ({record['config']['threads']} torch thread), fresh pairs.",
        "",
        f"- SR(40), {sr40['pairs']} pairs, {sr40['rounds']} rounds: classification accuracy "
        f"**{sr40['accuracy']:.3f}** (paper: 0.85), satisfiable problems decoded to a verified "
        f"model **{sr40['decoded_share']:.3f}** (paper: 0.70).",
    ]
    if "core" in record:
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
    lines += [
        "",
        "Training curves (`benchmarks/neurosat_curves.py`; the core head's accuracy is per "
        "variable, against about 0.8 for always answering 'in the core'):",
        "",
        "![NeuroSAT training curves](results/neurosat_curves.png)",
    ]
    return lines


def _sat_guidance(record: dict) -> list[str]:
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
    return lines


def _possibilistic(record: dict) -> list[str]:
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
            f"{_ms(exact['accuracy'], 4)} | {exact['cnn_digit_accuracy']['mean']:.4f} | "
            f"{exact['train_seconds']['mean']:.1f}"
            if exact
            else "- | - | -"
        )
        lines.append(
            f"| {k} | {_ms(one['accuracy'], 4)} | {_ms(two['accuracy'], 4)} | "
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
            f"{_ms(row['accuracy'], 3)} | {row['ambiguous_rate']['mean']:.3f} | "
            f"{_ms(row['roc_auc'], 3)} | {row['roc_auc_per_class']['mean']:.3f} | "
            f"{row['cnn_accuracy']['mean']:.4f} | {cnn_seconds} | "
            f"{row['learning_seconds']['mean']:.1f} | "
            f"{1000 * row['inference_seconds_per_puzzle']['mean']:.3f} |"
        )
    return lines


def _possibilistic_kernels(record: dict) -> list[str]:
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


def _ddp_scaling(record: dict) -> list[str]:
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


def _startup(record: dict) -> list[str]:
    """The start-up table; "before" from ``startup_before_*.json`` (the same benchmark run on an
    earlier commit), when there is one."""
    before_files = sorted(RESULTS.glob("startup_before_*.json"))
    before = json.loads(before_files[-1].read_text()) if before_files else None
    earlier = {(r["group"], r["input"]): r for r in before["rows"]} if before else {}
    load = record["machine"]["load_average_before"][0]
    ratios = [row["ratio"] for row in record["rows"] if row["group"] == "solve"]
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
        + (f' "before": commit {before["commit"]}, the same script.' if before else ""),
        "",
        f"Here `nesy solve` took {min(ratios):.1f} to {max(ratios):.1f}x clingo's CLI and "
        f"`nesy --help` {help_s:.2f} s (targets: {'; '.join(verdicts)}).",
        "",
        "| command | input | nesy s | reference s | ratio | before s | ratio before |",
        "|---|---|---|---|---|---|---|",
    ]
    commands = {
        "python": "`python -c pass`",
        "help": "`nesy --help`",
        "solve": "`nesy solve` / `python -m clingo`",
        "sat": "`nesy sat solve --guide none` / python-sat",
    }
    for row in record["rows"]:
        then = earlier.get((row["group"], row["input"]))
        reference = f"{row['reference']['median']:.3f}" if "reference" in row else ""
        ratio = f"{row['ratio']:.1f}x" if "ratio" in row else ""
        then_s = f"{then['nesy']['median']:.3f}" if then else ""
        then_ratio = f"{then['ratio']:.1f}x" if then and "ratio" in then else ""
        lines.append(
            f"| {commands[row['group']]} | {row['input']} | {row['nesy']['median']:.3f} | "
            f"{reference} | {ratio} | {then_s} | {then_ratio} |"
        )
    return lines


def _threads(record: dict) -> list[str]:
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


def _pm(value: dict, digits: int = 2) -> str:
    return f"{value['mean']:.{digits}f} ± {value['std']:.{digits}f}"


def _asper(record: dict) -> list[str]:
    combos = ("standard", "expert", "constraints", "all")
    baselines = ("copy train solution", "per-cell majority", "givens + chance")
    lines = [
        "### ASPER few-shot Sudoku, literal and repaired (`benchmarks/asper.py`)",
        "",
        f"{record['protocol']} Seeds {record['seed']}, {record['seconds']:.0f} s.",
        "",
        "| #puzzles | mask | mode | Standard | +Expert | +Constraints | All | published "
        "S / E / C / A | " + " | ".join(baselines) + " |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in record["rows"]:
        published = row.get("published")
        cells = [_pm(row["combos"][c]["accuracy"]) for c in combos]
        shown = " / ".join(f"{published[c]:.2f}" for c in combos) if published else ""
        base = [f"{row['baselines'][b]['mean']:.2f}" for b in baselines]
        lines.append(
            f"| {row['n_puzzles']} | {row['mask_rate']} | {row['mode']} | "
            + " | ".join(cells)
            + f" | {shown} | "
            + " | ".join(base)
            + " |"
        )
    return lines


def _mean_sd(values: list[float]) -> dict:
    """mean and sample std, as the benchmarks' own ``spread`` records them."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "std": sd}


def _anesi(record: dict) -> list[str]:
    # Only the record joined from the per-part runs (benchmarks/anesi.py --combine) is shown:
    # the parts it was joined from are its inputs.
    if "combined_from" not in record:
        return []
    exact = {row["digits"]: row["per_seed"] for row in record["exact"]}
    quoted = record["quoted_carry_program"]
    carry_ceiling = {q["digits"]: q["sum_ceiling"]["mean"] for q in quoted if q["mode"] == "exact"}
    lines = [
        "### A-NeSI on multi-digit MNIST addition (`benchmarks/anesi.py`)",
        "",
        " ".join(record["protocol"].split()),
        "",
        "| N | method (program) | seeds | sum accuracy | ceiling d^(2N) | ratio (min..max) "
        "| vs the exact rows' ceiling | digit accuracy | ms per image |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in record["anesi"]:
        n, seeds, ratio = row["digits"], len(row["per_seed"]), row["ratio"]
        acc = row["sum_accuracy"]
        lines += [
            f"| {n} | A-NeSI, symbolic prediction (whole numbers, {row['epochs']} epochs) | "
            f"{seeds} | {_pm(acc, 4)} | {_pm(row['sum_ceiling'], 4)} | "
            f"**{ratio['mean']:.3f}** ({ratio['min']:.3f}..{ratio['max']:.3f}) | "
            f"{acc['mean'] / carry_ceiling[n]:.3f} | {_pm(row['digit_accuracy'], 4)} | "
            f"{1e3 * row['seconds_per_image']['mean']:.2f} |",
            f"| {n} | A-NeSI, q's beam search | {seeds} | {_pm(row['neural_sum_accuracy'], 4)} | "
            f"| {row['neural_ratio']['mean']:.3f} | | | |",
        ]
        runs = exact.get(n)
        if runs and not runs[-1]["compiled"]:
            error = runs[-1]["error"]
            reason = error.split("stopped: ", 1)[-1].split(". ", 1)[0]
            reason = re.sub(r"\d{4,}", lambda m: f"{int(m[0]):,}", reason)
            verb = "does not ground" if error.startswith("grounding") else "does not compile"
            lines.append(f"| {n} | exact (whole numbers) | - | {verb}: {reason} | | | | | |")
        elif runs:
            acc = _mean_sd([run["sum_accuracy"] for run in runs])
            digit = statistics.fmean(run["digit_accuracy"] for run in runs)
            per_image = statistics.fmean(run["seconds_per_image"] for run in runs)
            lines.append(
                f"| {n} | exact (whole numbers, {runs[0]['settings']['epochs']} epochs) | "
                f"{len(runs)} | {_pm(acc, 4)} | | | | {digit:.4f} | {1e3 * per_image:.2f} |"
            )
        for q in (q for q in quoted if q["digits"] == n):
            lines.append(
                f"| {n} | {q['mode']} (carry program, quoted) | | {_pm(q['sum_accuracy'], 4)} | "
                f"{_pm(q['sum_ceiling'], 4)} | "
                f"{q['sum_accuracy']['mean'] / q['sum_ceiling']['mean']:.3f} | | "
                f"{_pm(q['digit_accuracy'], 4)} | {1e3 * q['seconds_per_image']['mean']:.2f} |"
            )
    return lines


def _visudo_asp(record: dict) -> list[str]:
    lines = [
        "### ViSudo-PC from validity labels, ASP backend (`benchmarks/visudo_asp.py`)",
        "",
        f"{record['protocol']}",
        "",
        "| size | splits | accuracy | P >= 1/2 | supervised ceiling | accuracy / ceiling | "
        "s per split |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, figures in record["sizes"].items():
        lines.append(
            f"| {size} | {len(figures['runs'])} | {_pm(figures['accuracy'], 3)} | "
            f"{_pm(figures['probability_accuracy'], 3)} | {_pm(figures['ceiling'], 3)} | "
            f"{_pm(figures['ratio'], 3)} | {figures['seconds']['mean']:.0f} |"
        )
    return lines


def _visual_sudoku(record: dict) -> list[str]:
    summary = record["summary"]
    names = {"solutions": "(a) from solutions only (NeurASP)", "labels": "(b) with digit labels"}
    lines = [
        "### Visual Sudoku solving, 9x9 (`benchmarks/visual_sudoku.py`)",
        "",
        f"{record['protocol']} Seeds {record['seed']}, {record['seconds']:.0f} s.",
        "",
        "| reader | solved (most probable model) | / ceiling | solved (argmax + clingo) | "
        "/ ceiling | all givens read right | digit accuracy | train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, row in summary["rows"].items():
        lines.append(
            f"| {names.get(key, key)} | {_pm(row['most_probable_solved'], 3)} | "
            f"{_pm(row['most_probable_solved_over_ceiling'], 3)} | "
            f"{_pm(row['argmax_solved'], 3)} | {_pm(row['argmax_solved_over_ceiling'], 3)} | "
            f"{_pm(row['read_all'], 3)} | {_pm(row['digit_accuracy'], 3)} | "
            f"{row['train_seconds']['mean']:.0f} |"
        )
    lines.append(
        f"| ceiling: (b) reads every given right | {_pm(summary['ceiling'], 3)} | | | | | | |"
    )
    return lines


def _exact_vs_problog(record: dict) -> list[str]:
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
        return f"> {limit:.0f}" if entry.get("over_time") else "error"

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
            f"(where ProbLog takes at most {max(t for _, t in slower):.2f} s): at such sizes "
            "the top-down grounder's tabling, which solves every table again on each pass "
            "(about a third of reachability 10's time), is what is left to take off.",
        ]
    return lines


def _sat_portfolio(record: dict) -> list[str]:
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


RENDERERS = {
    "anesi": _anesi,
    "asper": _asper,
    "visual_sudoku": _visual_sudoku,
    "visudo_asp": _visudo_asp,
    "mnist_addition_N1": _mnist_addition_n1,
    "circuit_scaling": _circuit_scaling,
    "mnist_addition_digits": _mnist_addition_digits,
    "deepproblog_digits": _deepproblog_digits,
    "edcr_fashion": _edcr_fashion,
    "neurosat": _neurosat,
    "sat_guidance": _sat_guidance,
    "sat_guidance_partial": _sat_portfolio,
    "possibilistic": _possibilistic,
    "possibilistic_kernels": _possibilistic_kernels,
    "ddp_scaling": _ddp_scaling,
    "startup": _startup,
    "threads": _threads,
    "exact_vs_problog": _exact_vs_problog,
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
