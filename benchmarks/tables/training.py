"""Tables of the training benchmarks: MNIST addition, DeepProbLog's digits, A-NeSI, Visual
Sudoku, ASPER, EDCR."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from tables.format import mean_sd, ms, pm, prf

__all__ = [
    "mnist_addition_n1",
    "mnist_addition_digits",
    "deepproblog_digits",
    "anesi",
    "anesi_variant",
    "anesi_explanations",
    "anesi_relabel",
    "ceiling_spread",
    "asper",
    "visual_sudoku",
    "visudo_asp",
    "edcr_fashion",
]


def mnist_addition_n1(record: dict) -> list[str]:
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


def mnist_addition_digits(record: dict) -> list[str]:
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
    exact_digits = {row["digits"] for row in record["rows"] if not row["approximate"]}
    for row in record["rows"]:
        s, c, ratio = row["settings"], row["circuit"], row["sum_accuracy_over_ceiling"]
        acc = row["sum_accuracy"]
        # An approximate row reuses its N's circuit, compiled for the exact row (the benchmark
        # shares one Compiler): its build time is not a compilation.
        cached = row["approximate"] and row["digits"] in exact_digits
        compile_s = "cached" if cached else f"{row['build_seconds']:.2f}"
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


def deepproblog_digits(record: dict) -> list[str]:
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


def anesi_variant(config: dict) -> tuple[str, str, str]:
    """A variant's name, its benchmarks/anesi.py flags and what it changes ("" for the
    predict-only A-NeSI)."""
    names, flags, changes = [], "", []
    if config.get("explain"):
        names.append("explain" + (" + pruning" if config.get("prune") else ""))
        flags += " --prune" if config.get("prune") else " --explain"
        changes.append(
            "with the explanation model trained with q by the joint matching loss"
            + (" under symbolic pruning" if config.get("prune") else "")
        )
    if config.get("pseudo_labels"):
        weight = f"{config['pseudo_labels']:g}"
        names.append(f"checked labels x{weight}")
        flags += f" --pseudo-labels {weight}"
        changes.append(
            f"with a cross-entropy towards checked labels (weight {weight}) added to the "
            "perception's loss: an example's readings where they give its sum, else the readings "
            "with the one digit changed that gives it"
        )
    return ", ".join(names), flags, "; ".join(changes)


def anesi(record: dict) -> list[str]:
    # Only the record joined from the per-part runs (benchmarks/anesi.py --combine) is shown:
    # the parts it was joined from are its inputs.
    if "combined_from" not in record:
        return []
    exact = {row["digits"]: row["per_seed"] for row in record["exact"]}
    quoted = record["quoted_carry_program"]
    carry_ceiling = {q["digits"]: q["sum_ceiling"]["mean"] for q in quoted if q["mode"] == "exact"}
    config = record["anesi"][0]["per_seed"][0]["anesi"]["config"]
    variant, flags, changes = anesi_variant(config)
    protocol = " ".join(record["protocol"].split())
    if variant:
        protocol = f"The protocol of the table above, {changes}."
    lines = [
        f"### A-NeSI on multi-digit MNIST addition (`benchmarks/anesi.py{flags}`)",
        "",
        protocol,
        "",
        "| N | method (program) | seeds | sum accuracy | ceiling d^(2N) | ratio (min..max) "
        "| vs the exact rows' ceiling | digit accuracy | ms per image |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in record["anesi"]:
        n, seeds, ratio = row["digits"], len(row["per_seed"]), row["ratio"]
        acc = row["sum_accuracy"]
        lines += [
            f"| {n} | A-NeSI{', ' + variant if variant else ''}, symbolic prediction "
            f"(whole numbers, {row['epochs']} epochs) | "
            f"{seeds} | {pm(acc, 4)} | {pm(row['sum_ceiling'], 4)} | "
            f"**{ratio['mean']:.3f}** ({ratio['min']:.3f}..{ratio['max']:.3f}) | "
            f"{acc['mean'] / carry_ceiling[n]:.3f} | {pm(row['digit_accuracy'], 4)} | "
            f"{1e3 * row['seconds_per_image']['mean']:.2f} |",
            f"| {n} | A-NeSI, q's beam search | {seeds} | {pm(row['neural_sum_accuracy'], 4)} | "
            f"| {row['neural_ratio']['mean']:.3f} | | | |",
        ]
        if "explanation_accuracy" in row:
            lines.append(
                f"| {n} | A-NeSI, explanation of the true sum (every digit right) | {seeds} | "
                f"{pm(row['explanation_accuracy'], 4)} | | | | | |"
            )
        runs = exact.get(n)
        if runs and not runs[-1]["compiled"]:
            error = runs[-1]["error"]
            reason = error.split("stopped: ", 1)[-1].split(". ", 1)[0]
            reason = re.sub(r"\d{4,}", lambda m: f"{int(m[0]):,}", reason)
            verb = "does not ground" if error.startswith("grounding") else "does not compile"
            lines.append(f"| {n} | exact (whole numbers) | - | {verb}: {reason} | | | | | |")
        elif runs:
            acc = mean_sd([run["sum_accuracy"] for run in runs])
            digit = statistics.fmean(run["digit_accuracy"] for run in runs)
            per_image = statistics.fmean(run["seconds_per_image"] for run in runs)
            lines.append(
                f"| {n} | exact (whole numbers, {runs[0]['settings']['epochs']} epochs) | "
                f"{len(runs)} | {pm(acc, 4)} | | | | {digit:.4f} | {1e3 * per_image:.2f} |"
            )
        # the variants' records quote the same rows as the predict-only one: shown once
        for q in (q for q in quoted if q["digits"] == n and not variant):
            lines.append(
                f"| {n} | {q['mode']} (carry program, quoted) | | {pm(q['sum_accuracy'], 4)} | "
                f"{pm(q['sum_ceiling'], 4)} | "
                f"{q['sum_accuracy']['mean'] / q['sum_ceiling']['mean']:.3f} | | "
                f"{pm(q['digit_accuracy'], 4)} | {1e3 * q['seconds_per_image']['mean']:.2f} |"
            )
    return lines


def anesi_explanations(record: dict) -> list[str]:
    lines = [
        "### A-NeSI's explanations against the exact ones (`benchmarks/anesi_explanations.py`)",
        "",
        " ".join(record["protocol"].split()),
        "",
        "| N | run | digit accuracy | readings all right | learned explanation all right: "
        "greedy | beam | exact explanation all right | beam = exact |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in record["runs"]:
        lines.append(
            f"| {r['digits']} | {Path(r['run']).name} | {r['digit_accuracy']:.4f} | "
            f"{r['readings_all_right']:.4f} | {r['greedy_explanation_accuracy']:.4f} | "
            f"{r['explanation_accuracy']:.4f} | {r['exact_explanation_accuracy']:.4f} | "
            f"{r['explanation_is_exact']:.4f} |"
        )
    return lines


def anesi_relabel(record: dict) -> list[str]:
    runs = record["runs"]
    # the first record (predict-only reruns) predates the variant's name in each run
    variant = runs[0].get("anesi_variant", "predict-only")
    lines = [
        f"### A-NeSI ({variant}) then relabelling (`benchmarks/anesi_relabel.py`)",
        "",
        " ".join(record["protocol"].split()),
        "",
        "| N | seed | training digits read right | readings kept (wrong kept / wrong) "
        "| A-NeSI digits | ratio | relabelled digits | ratio | twin digits "
        "| largest weight difference to the twin |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        # the first record predates the check against the twin's weights
        gap = r.get("largest_weight_difference_to_twin")
        lines.append(
            f"| {r['digits']} | {r['seed']} | {r['anesi_train_reading_accuracy']:.4f} | "
            f"{r['kept']:.4f} ({r['wrong_readings_kept']} / {r['wrong_readings']}) | "
            f"{r['anesi_digit_accuracy']:.4f} | {r['anesi_ratio']:.3f} | "
            f"{r['digit_accuracy']:.4f} | **{r['ratio']:.3f}** | "
            f"{r['supervised_digit_accuracy']:.4f} | {'-' if gap is None else f'{gap:.3g}'} |"
        )
    for n in sorted({r["digits"] for r in runs}):
        at_n = [r for r in runs if r["digits"] == n]
        ours, again = ([r[k] for r in at_n] for k in ("anesi_ratio", "ratio"))
        lines.append(
            f"| {n} | {len(at_n)} seeds | | | | {statistics.fmean(ours):.3f} "
            f"({min(ours):.3f}..{max(ours):.3f}) | | **{statistics.fmean(again):.3f}** "
            f"({min(again):.3f}..{max(again):.3f}) | | |"
        )
    return lines


def ceiling_spread(record: dict) -> list[str]:
    n, runs, s = record["config"]["digits"], record["runs"], record["summary"]
    lines = [
        f"### The supervised ceiling's own spread, N = {n} (`benchmarks/ceiling_spread.py`)",
        "",
        " ".join(record["protocol"].split()),
        "",
        "| seed | digit accuracy | ceiling d^(2N) | against the other seeds' mean ceiling |",
        "|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['seed']} | {run['digit_accuracy']:.4f} | {run['sum_ceiling']:.4f} | "
            f"{run['ratio_to_the_others']:.3f} |"
        )
    ratio = s["ratio_to_the_others"]
    lines.append(
        f"| {len(runs)} seeds | {pm(s['digit_accuracy'], 4)} | {pm(s['sum_ceiling'], 4)} | "
        f"{ratio['min']:.3f}..{ratio['max']:.3f} |"
    )
    return lines


def asper(record: dict) -> list[str]:
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
        cells = [pm(row["combos"][c]["accuracy"]) for c in combos]
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


def visual_sudoku(record: dict) -> list[str]:
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
            f"| {names.get(key, key)} | {pm(row['most_probable_solved'], 3)} | "
            f"{pm(row['most_probable_solved_over_ceiling'], 3)} | "
            f"{pm(row['argmax_solved'], 3)} | {pm(row['argmax_solved_over_ceiling'], 3)} | "
            f"{pm(row['read_all'], 3)} | {pm(row['digit_accuracy'], 3)} | "
            f"{row['train_seconds']['mean']:.0f} |"
        )
    lines.append(
        f"| ceiling: (b) reads every given right | {pm(summary['ceiling'], 3)} | | | | | | |"
    )
    return lines


def visudo_asp(record: dict) -> list[str]:
    lines = [
        "### ViSudo-PC from validity labels, ASP backend (`benchmarks/visudo_asp.py`), "
        f"{_test_grids(record)} test grids a split",
        "",
        f"{record['protocol']}",
        "",
        "| size | splits | accuracy | P >= 1/2 | supervised ceiling | accuracy / ceiling | "
        "s per split |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, figures in record["sizes"].items():
        lines.append(
            f"| {size} | {len(figures['runs'])} | {pm(figures['accuracy'], 3)} | "
            f"{pm(figures['probability_accuracy'], 3)} | {pm(figures['ceiling'], 3)} | "
            f"{pm(figures['ratio'], 3)} | {figures['seconds']['mean']:.0f} |"
        )
    return lines


def _test_grids(record: dict) -> int:
    """Valid test puzzles and their invalid twins a split (records before --test-puzzles: 50)."""
    return 2 * record["config"].get("test_puzzles", 50)


def visudo_anesi(record: dict) -> list[str]:
    encoding = record["config"].get("encoding", "pairs")  # records before --encoding: pairs
    lines = [
        f"### ViSudo-PC from validity labels, A-NeSI ({encoding} encoding) beside the ASP "
        f"backend (`benchmarks/visudo_anesi.py --encoding {encoding}`), {_test_grids(record)} "
        "test grids a split",
        "",
        " ".join(record["protocol"].split()),
        "",
        "| size | splits | epochs | A-NeSI accuracy | q(valid) >= 1/2 | ASP backend (quoted) | "
        "A-NeSI - ASP (min..max) | supervised ceiling | s per split |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size, figures in record["sizes"].items():
        gaps = [run["accuracy"] - run["asp"] for run in figures["runs"]]
        lines.append(
            f"| {size} | {len(figures['runs'])} | {figures['epochs']} | "
            f"{pm(figures['accuracy'], 3)} | {pm(figures['probability_accuracy'], 3)} | "
            f"{pm(figures['asp'], 3)} | **{statistics.fmean(gaps):+.3f}** "
            f"({min(gaps):+.3f}..{max(gaps):+.3f}) | {pm(figures['ceiling'], 3)} | "
            f"{figures['seconds']['mean']:.0f} |"
        )
    return lines


def edcr_fashion(record: dict) -> list[str]:
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
            f"| {setting} | {ms(row['base']['fine_accuracy'], 4)} | "
            f"**{ms(e['accuracy_after_correction'], 4)}** | "
            f"{ms(e['published_correction']['accuracy'], 4)} | "
            f"{row['base']['fine_macro_f1']['mean']:.4f} / "
            f"{e['macro_f1_after_correction']['mean']:.4f} | {prf(e['detection'])} | "
            f"{both['coverage']['mean']:.3f} / {both['selective_accuracy']['mean']:.4f} | "
            f"{prf(f['detection'])} | {f['detection']['balanced_accuracy']['mean']:.3f} | "
            f"{prf(f['constraints'])} |"
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
            f"| {setting} | {ms(u['base_accuracy'])} | **{ms(u['accuracy_after_correction'])}** "
            f"| {ms(u['accuracy_after_published_correction'])} | "
            f"{ms(u['seen_base_accuracy'])} | {ms(u['seen_accuracy_after_correction'])} |"
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
            f"{row['conditions']['mean']:.0f} | {ms(d['balanced_accuracy'])} | {ms(d['f1'])} | "
            f"{ms(row['constraints']['f1'])} |"
        )
    lines += ["", "![f-EDR under label noise](results/edcr_noise.png)"]
    return lines
