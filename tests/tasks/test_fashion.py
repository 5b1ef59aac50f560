"""The Fashion-MNIST task: label hierarchy, loading, a tiny training run and the conditions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nesy.errors import ConfigError, DataError
from nesy.neural.datasets import Digits
from tasks.fashion_edcr.fashion import (
    COARSE,
    FINE,
    PARENT,
    Outputs,
    coarse_of,
    conditions,
    default_fashion_dir,
    load_fashion,
    predict,
    train_models,
)


def _fashion_or_skip() -> Path:
    folder = default_fashion_dir()
    if (
        not (folder / "train-labels-idx1-ubyte.gz").is_file()
        and not (folder / "train-labels-idx1-ubyte").is_file()
    ):
        pytest.skip(
            f"Fashion-MNIST not installed in {folder} (apt-get install dataset-fashion-mnist)"
        )
    return folder


def test_parent_maps_every_fine_class_to_a_coarse_class() -> None:
    assert len(FINE) == len(PARENT) == 10 and len(COARSE) == 4
    assert set(PARENT.tolist()) == set(range(len(COARSE)))  # every coarse class has a child
    children = {COARSE[c]: [FINE[f] for f in range(10) if PARENT[f] == c] for c in range(4)}
    assert children == {
        "tops": ["tshirt", "pullover", "dress", "coat", "shirt"],
        "trouser": ["trouser"],
        "footwear": ["sandal", "sneaker", "ankle_boot"],
        "bag": ["bag"],
    }
    assert coarse_of(torch.tensor([9, 3])).tolist() == [2, 0]
    with pytest.raises(ValueError):
        PARENT[0] = 1  # read-only: nobody can change the hierarchy under the rule learner


def test_default_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NESY_FASHION_MNIST", "/somewhere/else")
    assert default_fashion_dir() == Path("/somewhere/else")
    monkeypatch.delenv("NESY_FASHION_MNIST")
    assert default_fashion_dir() == Path("/usr/share/datasets/fashion-mnist")


def test_load_fashion_on_a_missing_folder_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_fashion("t10k", tmp_path / "nothing-here")


def test_train_and_predict_on_a_tiny_real_subset() -> None:
    folder = _fashion_or_skip()
    data = load_fashion("train", folder)
    train = Digits(data.images[:200], data.labels[:200])
    models = train_models(train, epochs=1, seed=0, batch_size=50)
    out = predict(models, data.images[200:260], batch_size=25)
    assert len(out) == 60
    for fine, coarse in (
        (out.main_fine, out.main_coarse),
        (out.secondary_fine, out.secondary_coarse),
    ):
        assert fine.shape == coarse.shape == (60,)
        assert fine.dtype == coarse.dtype == np.int64
        assert fine.min() >= 0 and fine.max() < 10 and coarse.min() >= 0 and coarse.max() < 4
    assert out.binary_scores.shape == (60, 10) and out.binary_scores.dtype == np.float32
    assert ((out.binary_scores >= 0) & (out.binary_scores <= 1)).all()
    assert conditions(out).values.shape == (60, 68)


def test_training_is_seeded_and_accepts_a_subset_of_classes() -> None:
    g = torch.Generator().manual_seed(1)
    labels = torch.tensor([0, 1, 5, 8] * 6)  # six classes never seen: the heads keep all ten
    train = Digits(torch.randn(len(labels), 1, 28, 28, generator=g), labels)
    images = torch.randn(7, 1, 28, 28, generator=g)
    first = predict(train_models(train, epochs=2, seed=3, batch_size=8), images)
    again = predict(train_models(train, epochs=2, seed=3, batch_size=8), images)
    np.testing.assert_array_equal(first.binary_scores, again.binary_scores)
    np.testing.assert_array_equal(first.main_fine, again.main_fine)


def test_train_models_rejects_bad_settings_and_data() -> None:
    train = Digits(torch.zeros(4, 1, 28, 28), torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ConfigError, match="epochs"):
        train_models(train, epochs=0, seed=0)
    with pytest.raises(DataError, match="no training images"):
        train_models(
            Digits(torch.zeros(0, 1, 28, 28), torch.zeros(0, dtype=torch.int64)), epochs=1, seed=0
        )
    with pytest.raises(DataError, match="0..9"):
        train_models(Digits(train.images, torch.tensor([0, 1, 2, 10])), epochs=1, seed=0)


def test_conditions_names_and_one_hot_prediction_blocks() -> None:
    out = Outputs(
        main_fine=np.array([0, 9, 4]),
        main_coarse=np.array([0, 2, 3]),
        secondary_fine=np.array([6, 7, 1]),
        secondary_coarse=np.array([0, 2, 1]),
        binary_scores=np.array([[0.99] * 10, [0.01] * 10, [0.5] * 10]),
    )
    c = conditions(out)
    assert c.values.shape == (3, 10 + 4 + 10 + 4 + 40)
    blocks = {
        "main_fine=": (FINE, out.main_fine),
        "main_coarse=": (COARSE, out.main_coarse),
        "sec_fine=": (FINE, out.secondary_fine),
        "sec_coarse=": (COARSE, out.secondary_coarse),
    }
    for prefix, (classes, predicted) in blocks.items():
        block = c.select([f"{prefix}{name}" for name in classes]).values
        assert (block.sum(1) == 1).all()  # one-hot per row
        assert block.argmax(1).tolist() == predicted.tolist()
    assert c.names[:2] == ("main_fine=tshirt", "main_fine=trouser")
    thresholds = [n for n in c.names if n.startswith("bin_")]
    assert len(thresholds) == 40 and thresholds[:4] == [
        "bin_tshirt>0.95",
        "bin_tshirt>0.98",
        "bin_tshirt<0.05",
        "bin_tshirt<0.02",
    ]
    assert c.column("bin_bag>0.98").tolist() == [True, False, False]
    assert c.column("bin_bag<0.02").tolist() == [False, True, False]


def test_predict_on_no_images_gives_empty_outputs() -> None:
    train = Digits(torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]))
    out = predict(train_models(train, epochs=1, seed=0), torch.zeros(0, 1, 28, 28))
    assert len(out) == 0 and out.binary_scores.shape == (0, 10)
    assert conditions(out).values.shape == (0, 68)
