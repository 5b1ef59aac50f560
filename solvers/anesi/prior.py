"""The belief prior p(P): one Dirichlet per symbol, fitted to the perception's recent beliefs.

A-NeSI trains its inference model on beliefs drawn from this prior (ALGORITHMS.md D.4.1), so
that the model sees beliefs like those the perception network produces, and some spread around
them. Without it (beliefs of the current batch only) training from a fresh network collapses
(the paper's "no prior" rows: N = 15 at 0.00).

Shape letters: ``K`` symbols, ``V`` values per symbol, ``R`` stored beliefs.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.distributions import Dirichlet
from torch.nn.functional import softplus

__all__ = ["DirichletPrior"]

_EPS = 1e-7


class DirichletPrior(nn.Module):
    """Dirichlet concentrations ``alpha = softplus(raw)`` ``(K, V)``, and the last ``capacity``
    beliefs they are fitted to.

    Parameters
    ----------
    symbols, values
        K and V.
    init
        Every concentration before the first fit (0.1: beliefs close to one-hot, so the
        inference model first learns the function on near-certain inputs).
    capacity
        Beliefs kept (the most recent; A-NeSI's ``K_beliefs``).
    iters, lr
        Adam steps (and their learning rate) per :meth:`fit`.
    l2
        Weight of ``mean(alpha^2)`` against the mean log-likelihood per belief: keeps the
        concentrations small (the prior spread out) while the network's beliefs are still near
        uniform. A-NeSI's 9e5 on a log-likelihood summed over 2,500 beliefs is 360 here.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> prior = DirichletPrior(2, 10)
    >>> prior.sample(3).shape
    torch.Size([3, 2, 10])
    """

    #: the kept beliefs ``(N, K, V)``, a buffer (saved with the model)
    beliefs: Tensor

    def __init__(
        self,
        symbols: int,
        values: int,
        *,
        init: float = 0.1,
        capacity: int = 2500,
        iters: int = 50,
        lr: float = 0.01,
        l2: float = 360.0,
    ) -> None:
        super().__init__()
        raw = init + math.log(-math.expm1(-init))  # softplus(raw) == init
        self.raw = nn.Parameter(torch.full((symbols, values), raw))
        self.register_buffer("beliefs", torch.empty(0, symbols, values))
        self.capacity, self.iters, self.l2 = capacity, iters, l2
        self.optimizer = torch.optim.Adam([self.raw], lr=lr)

    @property
    def alpha(self) -> Tensor:
        """The concentrations ``(K, V)``."""
        return softplus(self.raw)

    def observe(self, beliefs: Tensor) -> None:
        """Keep ``beliefs`` ``(B, K, V)`` (probabilities; detached), dropping the oldest."""
        kept = torch.cat([self.beliefs, beliefs.detach().to(self.beliefs.dtype)])
        self.beliefs = kept[-self.capacity :]

    def fit(self) -> None:
        """``iters`` Adam steps on :meth:`objective`.

        The log-likelihood needs only the beliefs' mean logarithm (sufficient statistics), so a
        step costs ``O(K V)`` however many beliefs are kept; its gradient is written out
        (:meth:`gradient`), not taken by autograd, whose overhead was 9/10 of a step's time.
        """
        if len(self.beliefs) == 0:
            return
        with torch.no_grad():
            for _ in range(self.iters):
                self.raw.grad = self.gradient()
                self.optimizer.step()
        self.raw.grad = None

    def objective(self) -> Tensor:
        """What :meth:`fit` minimises: the stored beliefs' mean negative log-likelihood,
        averaged over symbols, plus ``l2 * mean(alpha^2)``."""
        mean_log = (self.beliefs + _EPS).log().mean(0)
        a = self.alpha
        log_likelihood = (
            torch.lgamma(a.sum(-1)) - torch.lgamma(a).sum(-1) + ((a - 1) * mean_log).sum(-1)
        )
        return -log_likelihood.mean() + self.l2 * (a**2).mean()

    def gradient(self) -> Tensor:
        """The gradient of :meth:`objective` with respect to ``raw`` ``(K, V)``."""
        mean_log = (self.beliefs + _EPS).log().mean(0)
        a = self.alpha.detach()
        nll = torch.digamma(a) - torch.digamma(a.sum(-1, keepdim=True)) - mean_log
        by_alpha = nll / a.shape[0] + 2 * self.l2 * a / a.numel()
        return by_alpha * torch.sigmoid(self.raw.detach())  # softplus' derivative

    def sample(self, count: int) -> Tensor:
        """``count`` beliefs ``(count, K, V)`` from the prior (no gradient)."""
        with torch.no_grad():
            p = Dirichlet(self.alpha).sample((count,))
        # a Dirichlet with small concentrations underflows to exact zeros: keep P a distribution
        p = p.clamp_min(_EPS)
        return p / p.sum(-1, keepdim=True)
