"""Predictions, labels and conditions of the Fashion-MNIST models, for ``nesy edcr learn`` and
``nesy edcr apply``: the files ``nesy edcr fashion OUT`` writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nesy.errors import ConfigError
from nesy.neural.datasets import Digits
from nesy.outputs import writable_folder
from nesy.train.checkpoint import atomic_write_bytes
from solvers.edcr.conditions import write_conditions
from solvers.edcr.metrics import accuracy
from tasks.fashion_edcr import fashion

__all__ = ["prepare"]


def prepare(
    out: Path, data: Path | None, epochs: int, seed: int, rule_images: int, train_images: int
) -> None:
    """Train the models on at most ``train_images`` of the training images before the last
    ``rule_images`` (kept for learning rules); write ``{learn,test}_{pred,labels}.npy`` and
    ``*_conditions.npz`` into ``out``."""
    writable_folder(out, "--out")
    train = fashion.load_fashion("train", data)
    test = fashion.load_fashion("t10k", data)
    split = len(train.labels) - rule_images
    if not 0 < split < len(train.labels):
        raise ConfigError(
            f"--rule-images must lie in 1..{len(train.labels) - 1}; got {rule_images}"
        )
    parts = {
        "learn": (train.images[split:], train.labels[split:]),
        "test": (test.images, test.labels),
    }
    kept = min(split, train_images)
    models = fashion.train_models(
        Digits(train.images[:kept], train.labels[:kept]), epochs=epochs, seed=seed, progress=True
    )
    for name, (images, labels) in parts.items():
        outputs = fashion.predict(models, images)
        for suffix, values in (("pred", outputs.main_fine), ("labels", labels.numpy())):
            target = out / f"{name}_{suffix}.npy"
            atomic_write_bytes(target, lambda f, v=values: np.save(f, v))
        write_conditions(out / f"{name}_conditions.npz", fashion.conditions(outputs))
        accuracy_text = f"{accuracy(outputs.main_fine, labels.numpy()):.4f}"
        print(f"{name}: {len(labels)} samples, main model fine accuracy {accuracy_text}")
    print(f"wrote {out}/{{learn,test}}_{{pred,labels}}.npy and *_conditions.npz")
    print(f"classes: {','.join(fashion.FINE)}")
