"""Plot NeuroSAT's training curves (validation accuracy against training seconds).

    python benchmarks/neurosat_curves.py     # needs matplotlib (pip install -e ".[benchmarks]")

Reads `results/neurosat_train_*.json` (written by `nesy sat train --curve`) and, when there,
`results/neurosat_curriculum*.json` (the runs of `benchmarks/neurosat_curriculum.py`: their
SR(40) accuracy), and writes `results/neurosat_curves.png`.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from nesy.train.checkpoint import atomic_write_bytes  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    fig, ax = plt.subplots(figsize=(6, 4))
    for path in sorted(RESULTS.glob("neurosat_train_*.json")):
        meta = json.loads(path.read_text())
        data, head = meta["data"], meta["config"]["head"]
        label = (
            f"{head} head, SR(U({data['low']}, {data['high']})), lr {meta['config']['lr']:g} "
            f"({meta['machine']['device']})"
        )
        curve = meta["curve"]
        ax.plot(
            [c["seconds"] for c in curve],
            [c["validation_accuracy"] for c in curve],
            marker="o",
            markersize=3,
            label=label,
        )
    # benchmarks/neurosat_curriculum.py's runs: the paper's test (SR(40)) along the way
    records = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("neurosat_curriculum*.json"))]
    runs = [r for r in records if r.get("benchmark") == "neurosat_curriculum"]  # not evaluations
    for record in runs:
        config, curve = record["config"], record["progress"]["curve"]
        ax.plot(
            [c["seconds"] for c in curve],
            [c["sr40_accuracy"] for c in curve],
            marker="s",
            markersize=3,
            linestyle="--",
            label=f"curriculum SR(U({config['low']}, n<={config['highs'][-1]})): SR(40) accuracy "
            f"({config['device']}, {record['machine']['torch_threads']} thread(s))",
        )
    if runs:
        ax.axhline(0.85, color="grey", linewidth=0.8, linestyle=":", label="paper: SR(40) 0.85")
    ax.set_xlabel("training seconds (each curve's device in its label)")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0.4, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("NeuroSAT training (sat head: per formula; core head: per variable)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    out = RESULTS / "neurosat_curves.png"
    atomic_write_bytes(out, lambda f: f.write(buffer.getvalue()))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
