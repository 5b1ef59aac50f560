"""The Dirichlet belief prior: fitted to stored beliefs, sampled as distributions."""

from __future__ import annotations

import torch

from solvers.anesi.prior import DirichletPrior


def test_the_fit_follows_the_beliefs_it_stores():
    torch.manual_seed(0)
    prior = DirichletPrior(2, 4, iters=200, lr=0.05, l2=0.0, capacity=300)
    # symbol 0 mostly believes value 2, symbol 1 value 0
    beliefs = torch.distributions.Dirichlet(
        torch.tensor([[0.2, 0.2, 2.0, 0.2], [2.0, 0.2, 0.2, 0.2]])
    ).sample((500,))
    prior.observe(beliefs)
    assert prior.beliefs.shape == (300, 2, 4)  # the most recent `capacity`
    prior.fit()
    alpha = prior.alpha.detach()
    assert alpha[0].argmax() == 2 and alpha[1].argmax() == 0
    assert torch.allclose(alpha, torch.tensor([[0.2, 0.2, 2.0, 0.2], [2.0, 0.2, 0.2, 0.2]]),
                          rtol=0.35)  # fmt: skip


def test_l2_keeps_the_concentrations_small():
    torch.manual_seed(0)
    near_uniform = torch.distributions.Dirichlet(torch.full((4,), 50.0)).sample((200, 1))
    free, held = (DirichletPrior(1, 4, iters=100, lr=0.05, l2=l2) for l2 in (0.0, 360.0))
    for prior in (free, held):
        prior.observe(near_uniform)
        prior.fit()
    assert held.alpha.max() < 0.5 * free.alpha.min()


def test_samples_are_distributions_even_where_the_dirichlet_underflows():
    torch.manual_seed(0)
    samples = DirichletPrior(3, 10, init=0.01).sample(1000)
    assert samples.shape == (1000, 3, 10)
    assert (samples > 0).all()
    assert torch.allclose(samples.sum(-1), torch.ones(1000, 3))


def test_the_written_out_gradient_is_autograds():
    torch.manual_seed(0)
    prior = DirichletPrior(3, 5, init=0.7, l2=2.0)
    prior.observe(torch.distributions.Dirichlet(torch.rand(3, 5) + 0.1).sample((50,)))
    (expected,) = torch.autograd.grad(prior.objective(), prior.raw)
    assert torch.allclose(prior.gradient(), expected, atol=1e-6)
