"""EDCR / f-EDR on Fashion-MNIST: error detection, correction and constraint recovery.

Protocol (one run per seed):
- Data: Fashion-MNIST (Debian package `dataset-fashion-mnist`). The first 50,000 training images
  train the models, the last 10,000 are the rule-learning data, the official 10,000 test images
  are the test set. Labels are fine (10 classes) and coarse (tops, trouser, footwear, bag).
- Models (`tasks.fashion_edcr.fashion`): a main CNN with fine and coarse heads, a secondary MLP with
  the same heads, ten one-vs-rest logistic regressions. Conditions (68 columns): both models'
  predictions at both levels and four thresholds per binary score (B.2, B.8).
- Settings: `all` (every class in the models' training data); `zero-shot` (40 % of the fine
  classes, chosen by `default_rng(seed).permutation(10)[:4]`, left out of the models' training
  data); `few-shot` (the same classes with only `--few-shot` training images each). The rules
  always learn from the labelled rule-learning data, which has every class.
- EDCR rows (fine labels): DetRuleLearn (epsilon) for detection, CorrRuleLearn for correction,
  applied to the test predictions. f-EDR rows (both levels): RatioDetRuleLearn detection, errors =
  wrong fine or wrong coarse, and the recovered (fine, coarse) constraints.
- Noise sweep (B.8) on the `all` models: fine classes 0..r-1 are removed from the rule-learning
  ground truth (their samples relabelled round-robin to the kept classes, their conditions
  dropped), r = 0..5; f-EDR rules learned on the noisy labels are scored on the clean test set.

    python benchmarks/edcr_fashion.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from bench_record import record_head  # a sibling script

from nesy.neural.datasets import Digits
from nesy.train.checkpoint import atomic_write_bytes
from solvers.edcr.hierarchy import (
    Levels,
    constraint_scores,
    errors,
    learn_hierarchical,
    recovered_constraints,
)
from solvers.edcr.metrics import accuracy, class_recall, detection_scores, macro_f1
from solvers.edcr.rules import ABSTAIN, RuleSet, learn_rules
from tasks.fashion_edcr.fashion import (
    COARSE,
    FINE,
    PARENT,
    Outputs,
    conditions,
    load_fashion,
    predict,
    train_models,
)

REPO = Path(__file__).resolve().parents[1]
SETTINGS = ("all", "zero-shot", "few-shot")
RULE_IMAGES = 10_000  # the last 10,000 training images; the others train the models


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--epochs", type=int, default=3, help="model training epochs")
    p.add_argument("--epsilon", type=float, default=0.1, help="DetRuleLearn's recall bound")
    p.add_argument("--few-shot", type=int, default=50, help="training images per left-out class")
    p.add_argument("--max-removed", type=int, default=5, help="noise sweep: up to r classes")
    p.add_argument("--model-images", type=int, default=50_000, help="fewer for a smoke run")
    p.add_argument("--data", type=Path, default=None, help="Fashion-MNIST IDX folder")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/edcr_fashion.json")
    p.add_argument("--plot", type=Path, default=REPO / "benchmarks/results/edcr_noise.png")
    return p.parse_args(argv)


def _levels(outputs: Outputs) -> Levels:
    return Levels(outputs.main_fine, outputs.main_coarse)


def _truth(fine: np.ndarray) -> Levels:
    return Levels(fine, PARENT[fine])


def _training_subset(train: Digits, left_out: list[int], keep_per_class: int | None, seed: int):
    """All images, or those of kept classes plus `keep_per_class` of each left-out class."""
    labels = train.labels.numpy()
    keep = ~np.isin(labels, left_out)
    rng = np.random.default_rng(seed)
    for k in left_out if keep_per_class else []:
        keep[rng.choice(np.flatnonzero(labels == k), keep_per_class, replace=False)] = True
    index = torch.as_tensor(np.flatnonzero(keep))
    return Digits(train.images[index], train.labels[index])


def _edcr(learn: tuple, test: tuple, epsilon: float, left_out: list[int]) -> dict[str, Any]:
    """EDCR on the fine labels: detection, correction, both."""
    (pred_l, truth_l, cond_l), (pred_t, truth_t, cond_t) = learn, test
    k = len(FINE)
    detect = learn_rules(pred_l, truth_l, cond_l, FINE, epsilon=epsilon, corrector="none")
    correct = learn_rules(pred_l, truth_l, cond_l, FINE, detector="none")
    published = learn_rules(pred_l, truth_l, cond_l, FINE, detector="none", corrector="published")
    # each class's rules are learned on their own, so the two sets together are what learning
    # both kinds at once would give
    both = RuleSet(FINE, detect.detection, correct.correction)
    flagged = detect.apply(pred_t, cond_t).flagged
    corrected = correct.apply(pred_t, cond_t).labels
    literal = published.apply(pred_t, cond_t).labels
    combined = both.apply(pred_t, cond_t).labels
    kept = combined != ABSTAIN
    # B.7 on the rule-learning data: no class loses more than epsilon recall
    withdrawn = detect.apply(pred_l, cond_l).labels
    drops = [
        class_recall(pred_l, truth_l, i) - class_recall(withdrawn, truth_l, i) for i in range(k)
    ]
    row = {
        "detection": detection_scores(flagged, pred_t != truth_t)._asdict(),
        "detection_rules": len(detect.detection),
        "max_recall_drop_on_learning_data": max(drops),
        "correction_rules": len(correct.correction),
        "accuracy_after_correction": accuracy(corrected, truth_t),
        "macro_f1_after_correction": macro_f1(corrected, truth_t, k),
        "relabelled": int((corrected != pred_t).sum()),
        "published_correction": {
            "rules": len(published.correction),
            "accuracy": accuracy(literal, truth_t),
            "macro_f1": macro_f1(literal, truth_t, k),
            "relabelled": int((literal != pred_t).sum()),
        },
        "detect_correct": {
            "accuracy_abstain_wrong": accuracy(combined, truth_t),
            "coverage": float(kept.mean()),
            "selective_accuracy": accuracy(combined[kept], truth_t[kept]),
        },
        "rules": {"detection": detect.to_text(), "correction": correct.to_text()},
    }
    if left_out:
        unseen = np.isin(truth_t, left_out)
        row["left_out"] = {
            "base_accuracy": accuracy(pred_t[unseen], truth_t[unseen]),
            "accuracy_after_correction": accuracy(corrected[unseen], truth_t[unseen]),
            "seen_base_accuracy": accuracy(pred_t[~unseen], truth_t[~unseen]),
            "seen_accuracy_after_correction": accuracy(corrected[~unseen], truth_t[~unseen]),
            "accuracy_after_published_correction": accuracy(literal[unseen], truth_t[unseen]),
        }
    return row


def _fedr(learn: tuple, test: tuple, detector: str = "ratio") -> dict[str, Any]:
    """f-EDR on both levels: flags against fine-or-coarse errors, and recovered constraints."""
    (pred_l, truth_l, cond_l), (pred_t, truth_t, cond_t) = learn, test
    rules = learn_hierarchical(pred_l, truth_l, cond_l, FINE, COARSE, detector=detector)
    flagged = rules.flag(pred_t, cond_t)
    recovered = recovered_constraints(rules)
    return {
        "detection": detection_scores(flagged, errors(pred_t, truth_t))._asdict(),
        "constraints": constraint_scores(recovered, PARENT, pred_l)._asdict(),
        "rules": len(rules.fine.detection) + len(rules.coarse.detection),
    }


def _noise_sweep(learn: tuple, test: tuple, max_removed: int) -> list[dict[str, Any]]:
    (pred_l, truth_l, cond_l), test_part = learn, test
    rows = []
    for r in range(max_removed + 1):
        removed, kept = list(range(r)), list(range(r, len(FINE)))
        noisy = truth_l.fine.copy()
        affected = np.flatnonzero(np.isin(noisy, removed))
        noisy[affected] = np.array(kept)[np.arange(len(affected)) % len(kept)]
        dropped = {f"{prefix}={FINE[k]}" for k in removed for prefix in ("main_fine", "sec_fine")}
        names = [
            n
            for n in cond_l.names
            if n not in dropped and not any(n.startswith(f"bin_{FINE[k]}") for k in removed)
        ]
        row = _fedr((pred_l, _truth(noisy), cond_l.select(names)), test_part)
        row.update(removed=r, noise_ratio=len(affected) / len(noisy), conditions=len(names))
        rows.append(row)
    return rows


def run_seed(args: argparse.Namespace, train: Digits, test: Digits, seed: int) -> dict[str, Any]:
    n = len(train.labels) - RULE_IMAGES
    model_part = Digits(
        train.images[: min(args.model_images, n)], train.labels[: min(args.model_images, n)]
    )
    rule_part = Digits(train.images[n:], train.labels[n:])
    left_out = sorted(np.random.default_rng(seed).permutation(len(FINE))[:4].tolist())
    result: dict[str, Any] = {"seed": seed, "left_out": [FINE[k] for k in left_out], "settings": {}}
    for setting in SETTINGS:
        if setting == "all":
            subset = model_part
        else:
            shots = args.few_shot if setting == "few-shot" else None
            subset = _training_subset(model_part, left_out, shots, seed)
        start = time.perf_counter()
        models = train_models(subset, epochs=args.epochs, seed=seed, progress=True)
        train_seconds = time.perf_counter() - start
        outputs = {
            name: predict(models, part.images)
            for name, part in (("learn", rule_part), ("test", test))
        }
        fine = {name: part.labels.numpy() for name, part in (("learn", rule_part), ("test", test))}
        conds = {name: conditions(out) for name, out in outputs.items()}
        start = time.perf_counter()
        flat = {n: (outputs[n].main_fine, fine[n], conds[n]) for n in outputs}
        nested = {n: (_levels(outputs[n]), _truth(fine[n]), conds[n]) for n in outputs}
        unseen = left_out if setting != "all" else []
        row = {
            "model_images": len(subset.labels),
            "train_seconds": train_seconds,
            "base": _base(outputs["test"], fine["test"]),
            "secondary_fine_accuracy": accuracy(outputs["test"].secondary_fine, fine["test"]),
            "edcr": _edcr(flat["learn"], flat["test"], args.epsilon, unseen),
            "fedr": _fedr(nested["learn"], nested["test"]),
            "fedr_det": _fedr(nested["learn"], nested["test"], detector="det"),
        }
        row["rule_seconds"] = time.perf_counter() - start
        if setting == "all":
            row["noise"] = _noise_sweep(nested["learn"], nested["test"], args.max_removed)
        result["settings"][setting] = row
        _print_row(setting, seed, row)
    return result


def _base(outputs: Outputs, fine: np.ndarray) -> dict[str, float]:
    return {
        "fine_accuracy": accuracy(outputs.main_fine, fine),
        "coarse_accuracy": accuracy(outputs.main_coarse, PARENT[fine]),
        "fine_macro_f1": macro_f1(outputs.main_fine, fine, len(FINE)),
        "inconsistent": float((PARENT[outputs.main_fine] != outputs.main_coarse).mean()),
    }


def _print_row(setting: str, seed: int, row: dict[str, Any]) -> None:
    e, f = row["edcr"], row["fedr"]
    d = e["detection"]
    print(
        f"seed {seed} {setting:9s} base acc {row['base']['fine_accuracy']:.4f} -> corrected "
        f"{e['accuracy_after_correction']:.4f} (macro-F1 {row['base']['fine_macro_f1']:.4f} -> "
        f"{e['macro_f1_after_correction']:.4f}); detection P/R/F1 {d['precision']:.3f}/"
        f"{d['recall']:.3f}/{d['f1']:.3f}; f-EDR F1 {f['detection']['f1']:.3f}, constraints F1 "
        f"{f['constraints']['f1']:.3f}; train {row['train_seconds']:.0f} s, rules "
        f"{row['rule_seconds']:.1f} s",
        flush=True,
    )


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and std over seeds of every number in the settings (same keys, leaves [mean, std])."""

    def merge(values: list[Any]) -> Any:
        first = values[0]
        if isinstance(first, dict):
            return {key: merge([v[key] for v in values]) for key in first}
        if isinstance(first, list):
            return [merge(list(items)) for items in zip(*values, strict=True)]
        if isinstance(first, int | float) and not isinstance(first, bool):
            spread = statistics.pstdev(values) if len(values) > 1 else 0.0
            return {"mean": statistics.fmean(values), "std": spread}
        return first

    return merge([run["settings"] for run in runs])


def _plot(summary: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    noise = summary["all"]["noise"]
    x = [row["noise_ratio"]["mean"] for row in noise]
    fig, ax = plt.subplots(figsize=(6, 4))
    series = (
        ("balanced error accuracy", lambda r: r["detection"]["balanced_accuracy"]),
        ("error F1", lambda r: r["detection"]["f1"]),
        ("constraint F1", lambda r: r["constraints"]["f1"]),
    )
    for label, read in series:
        ax.errorbar(
            x,
            [read(r)["mean"] for r in noise],
            [read(r)["std"] for r in noise],
            marker="o",
            capsize=3,
            label=label,
        )
    ax.set_xlabel("noise ratio (rule-learning samples relabelled)")
    ax.set_ylim(0, 1)
    ax.set_title("f-EDR on Fashion-MNIST under label noise")
    ax.legend()
    ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, lambda f: f.write(buffer.getvalue()))
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    train, test = load_fashion("train", args.data), load_fashion("t10k", args.data)
    runs = [run_seed(args, train, test, seed) for seed in args.seeds]
    summary = _summary(runs)
    record = {
        **record_head("edcr_fashion", args, __doc__, numpy=np.__version__),
        "summary": summary,
        "runs": runs,
    }
    text = json.dumps(record, indent=1) + "\n"
    atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    plotted = _plot(summary, args.plot)
    print(f"wrote {args.out}" + (f" and {args.plot}" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
