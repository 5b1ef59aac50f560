"""The prediction model q(y | P): a distribution over every output, searched by beam."""

from __future__ import annotations

import itertools

import torch

from solvers.anesi.inference import PredictionModel


def _model() -> tuple[PredictionModel, torch.Tensor]:
    torch.manual_seed(0)
    q = PredictionModel(3, 4, (2, 3, 4), hidden=16, layers=2)
    P = torch.distributions.Dirichlet(torch.ones(4)).sample((5, 3))
    return q, P


def _every_output() -> torch.Tensor:
    return torch.tensor(list(itertools.product(range(2), range(3), range(4))))


def test_q_is_a_distribution_over_every_output():
    q, P = _model()
    outputs = _every_output()  # (24, 3)
    logp = torch.stack([q.log_prob(P, y.expand(len(P), -1)) for y in outputs], dim=1)
    assert torch.allclose(logp.exp().sum(1), torch.ones(len(P)), atol=1e-5)


def test_a_beam_as_wide_as_the_outputs_finds_the_most_probable_one():
    q, P = _model()
    outputs = _every_output()
    logp = torch.stack([q.log_prob(P, y.expand(len(P), -1)) for y in outputs], dim=1)
    assert q.predict(P, beam=24).tolist() == outputs[logp.argmax(1)].tolist()
    assert q.predict(P, beam=1).shape == (5, 3)


def test_q_learns_a_function_of_near_certain_beliefs():
    """Trained on samples as A-NeSI trains it, q predicts (a + b) mod 3 of two 3-valued symbols."""
    torch.manual_seed(0)
    q = PredictionModel(2, 3, (3,), hidden=32, layers=1)
    optimizer = torch.optim.Adam(q.parameters(), lr=1e-2)
    for _ in range(300):
        P = torch.distributions.Dirichlet(torch.full((3,), 0.1)).sample((64, 2))
        w = torch.distributions.Categorical(probs=P).sample()
        loss = -q.log_prob(P, ((w[:, 0] + w[:, 1]) % 3).unsqueeze(1)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    certain = torch.eye(3)[torch.tensor([[a, b] for a in range(3) for b in range(3)])]
    expected = [[(a + b) % 3] for a in range(3) for b in range(3)]
    assert q.predict(certain).tolist() == expected
