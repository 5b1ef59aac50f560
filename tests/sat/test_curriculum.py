"""The NeuroSAT curriculum: it starts from a saved model, checkpoints a model that loads, and a
resumed run continues the stage, the steps and the curve."""

from __future__ import annotations

import pytest
import torch

from nesy.errors import ConfigError, DataError
from solvers.sat.curriculum import CurriculumConfig, export, run
from solvers.sat.neurosat import NeuroSAT
from solvers.sat.train import load_model, save_model

TINY = CurriculumConfig(
    low=3, highs=(4, 5), pairs=8, val_pairs=4, sr40_pairs=2, advance_at=0.0, eval_every=0.0,
    max_nodes=200, workers=1,
)  # fmt: skip


@pytest.fixture
def init(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "init.pt"
    save_model(path, NeuroSAT(d=8, rounds=2), {"curve": []})
    return path


def test_a_chunk_checkpoints_and_a_resumed_chunk_continues(tmp_path, init):
    checkpoint = tmp_path / "curriculum.pt"
    first = run(TINY, init, checkpoint, seconds=0.2)
    # advance_at 0: every evaluation moves on, so the first chunk leaves stage 0
    assert first["stage"] >= 1 and first["curve"][0]["n"] == [3, 4]
    model, meta = load_model(checkpoint)
    assert model.d == 8 and meta["curriculum"]["step"] == first["step"]
    assert 0.0 <= meta["curve"][-1]["sr40_accuracy"] <= 1.0
    second = run(TINY, init, checkpoint, seconds=0.2, resume=True)
    assert second["step"] >= first["step"]
    assert second["curve"][: len(first["curve"])] == first["curve"]
    assert second["curve"][-1]["seconds"] >= first["curve"][-1]["seconds"]


def test_resuming_needs_a_curriculum_checkpoint(tmp_path, init):
    with pytest.raises(DataError, match="no checkpoint"):
        run(TINY, init, tmp_path / "missing.pt", seconds=1, resume=True)
    with pytest.raises(DataError, match="not a curriculum checkpoint"):
        run(TINY, init, init, seconds=1, resume=True)


def test_stages_must_widen():
    with pytest.raises(ConfigError, match="highs must rise"):
        run(CurriculumConfig(low=10, highs=(20, 15)), "x.pt", "y.pt", seconds=1)


def test_export_keeps_the_model_and_its_curve_and_drops_adam(tmp_path, init):
    checkpoint, out = tmp_path / "curriculum.pt", tmp_path / "shipped.pt"
    progress = run(TINY, init, checkpoint, seconds=0.2)
    export(checkpoint, out)
    assert "optimiser" not in torch.load(out, weights_only=True)
    (trained, _), (shipped, meta) = load_model(checkpoint), load_model(out)
    for name, tensor in trained.state_dict().items():
        assert torch.equal(tensor, shipped.state_dict()[name])
    assert meta["curriculum"]["curve"] == progress["curve"]
    with pytest.raises(DataError, match="not a curriculum checkpoint"):
        export(init, out)
