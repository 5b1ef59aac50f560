"""A-NeSI's joint training step: the inference model off-policy, then the perception network.

Each step (ALGORITHMS.md D.4, D.5):

1. the batch's beliefs ``P = perception(x)`` join the stored beliefs; the Dirichlet prior is
   refitted to them;
2. the prediction model q takes one Adam step on ``-log q(c(w) | P)`` for ``samples`` beliefs
   drawn from the prior (plus the batch's own, detached), ``w ~ Cat(P)`` and ``c`` the symbolic
   function (A-NeSI's predict-only loss, a KL fit of the program's answer distribution); with
   the explanation model (``explain``), q and it take the step together on the joint matching
   loss ``(log q(y | P) + log q(w | y, P) - log p(w | P))^2`` instead;
3. the perception network takes one Adam step on ``-log q(y_obs | P)`` with q frozen: the
   gradient reaches the network through q, whose parameters do not move; with
   ``pseudo_labels`` (not in the paper), plus a cross-entropy towards labels that the symbolic
   function checks against ``y_obs`` (:meth:`Anesi.checked_labels`).

Step 2 must come between the perception's forward pass and its loss (that loss reads the q
just updated), so q's step is not the trainer's: :meth:`Anesi.joint_loss` takes it with q's
own optimiser and returns the perception's loss, which the caller steps. In
:mod:`tasks.mnist_addition_digits.anesi_addition` that caller is
:class:`nesy.train.trainer.Trainer`, with ``joint_loss`` as its loss hook and the perception's
parameters as its one parameter group; :meth:`Anesi.step` is the same step for a loop of one's
own.

Shape letters: ``B`` batch, ``K`` symbols per example, ``V`` values, ``M`` output digits.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import torch
from torch import Tensor, nn
from torch.distributions import Categorical

from nesy.errors import ConfigError
from solvers.anesi.explanation import ExplanationModel, Pruner
from solvers.anesi.inference import PredictionModel
from solvers.anesi.prior import DirichletPrior
from solvers.anesi.symbolic import SymbolicFunction

__all__ = ["AnesiConfig", "Anesi", "JointLoss", "PredictiveModel", "StepLosses"]

#: Beliefs below this count as this in ``log p(w | P)``: the Dirichlet prior's samples put
#: values at 1e-30 and less, whose logs would swamp the squared matching loss (the paper's code
#: adds an epsilon of 1e-8 likewise).
LOG_FLOOR = 1e-8


#: The rates and weights that may be 0 (no L2 pull on the prior; no checked labels).
ZERO_ALLOWED = ("prior_l2", "pseudo_labels")


class PredictiveModel(Protocol):
    """What A-NeSI needs of q(y | P): its log-probability, its prediction, its parameters."""

    def log_prob(self, P: Tensor, y: Tensor) -> Tensor: ...

    def predict(self, P: Tensor, beam: int = 1) -> Tensor: ...

    def parameters(self, recurse: bool = True) -> Iterator[nn.Parameter]: ...

    def requires_grad_(self, requires_grad: bool = True) -> nn.Module: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AnesiConfig:
    """A-NeSI's settings; the defaults are the paper's MNIST-addition sweep (D.7) except where
    noted.

    Parameters
    ----------
    samples
        Beliefs drawn from the prior per inference-model step (``amt_samples``).
    hidden, layers
        Each output digit's MLP. The paper: 800 and 3; default here 256 and 2, which fit the
        CPU budget (a q step at N = 15 costs ~10x less) and learned the sum as well at N <= 4.
    q_lr, perception_lr
        Adam's learning rates of the two models.
    beliefs, prior_init, prior_iters, prior_lr, prior_l2
        The Dirichlet prior (:class:`~solvers.anesi.prior.DirichletPrior`).
    beam
        Beam width of the neural prediction (the paper: ``samples``; 10 here).
    warmup
        Steps of q alone on the prior (:meth:`Anesi.warm_up`) before the perception's first
        step. Not in the paper (0 there): q needs only the symbolic function, and at N = 15 a
        cold q left the perception without a useful gradient for ~10 of 30 epochs (2000
        steps: ~7 epochs fewer).
    reverse
        The default q predicts the last output digit first (:class:`PredictionModel`'s
        ``reverse``; for a sum, the least significant digit first). Not the paper's order
        (``False``).
    explain
        Train the explanation model q(w | y, P) with q by the joint matching loss (the
        paper's "explain" variant) instead of q alone on ``-log q(y | P)`` ("predict-only").
    prune
        Symbolic pruning in the explanation model (needs ``explain`` and a pruner).
    pseudo_labels
        Weight of the perception's cross-entropy towards checked labels
        (:meth:`Anesi.checked_labels`), summed over an example's symbols; 0 (the default)
        leaves it out. Not in the paper. A sum's likelihood stops pulling on a digit once the
        sum is right, and a digit misread in every regrouping is never named by it; the checked
        labels give every symbol of an example a label, and repair one misread symbol. At
        small N readings that give the right sum by chance are common early on (N = 1: one in
        ten), so it is meant for many digits.

    Raises
    ------
    ConfigError
        A count below 1 or a rate that is not positive and finite.
    """

    samples: int = 600
    hidden: int = 256
    layers: int = 2
    q_lr: float = 1e-3
    perception_lr: float = 1e-3
    beliefs: int = 2500
    prior_init: float = 0.1
    prior_iters: int = 50
    prior_lr: float = 0.01
    prior_l2: float = 360.0
    beam: int = 10
    warmup: int = 2000
    reverse: bool = True
    explain: bool = False
    prune: bool = False
    pseudo_labels: float = 0.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "bool":
                if not isinstance(value, bool):
                    raise ConfigError(f"{f.name} must be true or false; got {value!r}")
            elif f.type == "int":
                least = 0 if f.name in ("prior_iters", "warmup") else 1
                if isinstance(value, bool) or not isinstance(value, int) or value < least:
                    raise ConfigError(f"{f.name} must be an integer >= {least}; got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{f.name} must be a number; got {value!r}")
            elif not (0 <= value < math.inf) or (value == 0 and f.name not in ZERO_ALLOWED):
                bound = ">= 0" if f.name in ZERO_ALLOWED else "> 0"
                raise ConfigError(f"{f.name} must be a finite number {bound}; got {value!r}")
        if self.prune and not self.explain:
            raise ConfigError("prune masks the explanation model's values; it needs explain")


class JointLoss(NamedTuple):
    """The perception's loss (to step) and q's loss (stepped already), per example."""

    perception: Tensor
    q: float


@dataclass(frozen=True, slots=True)
class StepLosses:
    """One step's losses: the inference model's and the perception's (per example)."""

    q: float
    perception: float


class Anesi(nn.Module):
    """A perception network, the prediction model q and the belief prior, trained together.

    Parameters
    ----------
    perception
        Maps ``(B*K, ...)`` inputs to ``(B*K, V)`` log-probabilities.
    function
        The symbolic function ``c``.
    config
        The settings.
    q
        The prediction model; ``None``: :class:`~solvers.anesi.inference.PredictionModel` of
        ``function``'s output digits (``hidden``, ``layers`` from ``config``).
    pruner
        The symbolic pruning of ``function``'s explanations (``config.prune``).

    Raises
    ------
    ConfigError
        ``config.prune`` without a pruner.
    """

    def __init__(
        self,
        perception: nn.Module,
        function: SymbolicFunction,
        config: AnesiConfig,
        q: PredictiveModel | None = None,
        pruner: Pruner | None = None,
    ) -> None:
        super().__init__()
        if config.prune and pruner is None:
            name = type(function).__name__
            raise ConfigError(f"symbolic pruning needs a pruner; none was given for {name}")
        self.perception = perception
        self.function = function
        self.config = config
        k, v = function.symbols, function.values
        self.q: PredictiveModel = q or PredictionModel(
            k,
            v,
            function.output_sizes,
            hidden=config.hidden,
            layers=config.layers,
            reverse=config.reverse,
        )
        self.explanation = (
            ExplanationModel(
                k,
                v,
                function.output_sizes,
                hidden=config.hidden,
                layers=config.layers,
                pruner=pruner if config.prune else None,
            )
            if config.explain
            else None
        )
        self.prior = DirichletPrior(
            k,
            v,
            init=config.prior_init,
            capacity=config.beliefs,
            iters=config.prior_iters,
            lr=config.prior_lr,
            l2=config.prior_l2,
        )
        inference = list(self.q.parameters())
        if self.explanation is not None:
            inference += self.explanation.parameters()
        self.q_optimizer = torch.optim.Adam(inference, lr=config.q_lr)
        self.perception_optimizer = torch.optim.Adam(
            self.perception.parameters(), lr=config.perception_lr
        )

    def log_beliefs(self, x: Tensor) -> Tensor:
        """The perception's log-probabilities ``(B, K, V)`` of inputs ``x`` ``(B, K, ...)``."""
        return self.perception(x.flatten(0, 1)).view(len(x), self.function.symbols, -1)

    def beliefs(self, x: Tensor) -> Tensor:
        """The perception's probabilities ``(B, K, V)`` of inputs ``x`` ``(B, K, ...)``."""
        return self.log_beliefs(x).exp()

    def joint_loss(self, x: Tensor, y: Tensor) -> JointLoss:
        """Steps 1 and 2 on inputs ``x`` ``(B, K, ...)`` with answers ``y`` ``(B, M)`` (digits,
        most significant first), and the perception's loss ``-log q(y | P)`` of step 3, whose
        gradient reaches only the perception (q is frozen while it is built), plus the checked
        labels' cross-entropy with ``config.pseudo_labels``."""
        log_P = self.log_beliefs(x)
        weight = self.config.pseudo_labels

        def loss_of(q: PredictiveModel, P: Tensor) -> Tensor:
            loss = -q.log_prob(P, y).mean()
            if weight:
                labels, found = self.checked_labels(log_P.detach(), y)
                log_label = log_P.gather(2, labels.unsqueeze(2)).squeeze(2).sum(dim=1)
                loss = loss - weight * (log_label * found).mean()
            return loss

        return self._joint(log_P.exp(), loss_of)

    def joint(self, x: Tensor, loss_of: Callable[[PredictiveModel, Tensor], Tensor]) -> JointLoss:
        """:meth:`joint_loss` with the perception's loss ``loss_of(q, P)`` of one's own (e.g. a
        task whose observation is not one answer ``y``: ViSudo-PC's invalid grids)."""
        return self._joint(self.beliefs(x), loss_of)

    def _joint(self, P: Tensor, loss_of: Callable[[PredictiveModel, Tensor], Tensor]) -> JointLoss:
        q_loss = self.train_q(P.detach())
        self.q.requires_grad_(False)  # its gradient is not needed: only the perception moves
        try:
            loss = loss_of(self.q, P)
        finally:
            self.q.requires_grad_(True)
        return JointLoss(loss, q_loss)

    @torch.no_grad()
    def checked_labels(self, log_P: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """Labels ``(B, K)`` of the symbols under log-beliefs ``log_P`` ``(B, K, V)`` that the
        symbolic function checks against answers ``y`` ``(B, M)``, and which examples have
        them ``(B,)``: the readings ``argmax P`` where they give ``y``; else the readings with
        one symbol changed that give ``y``, the change that loses the least log-belief; else
        none. Costs ``K * V`` runs of the function per example whose readings miss."""
        w = log_P.argmax(dim=2)
        found = (self.function(w) == y).all(dim=1)
        missed = (~found).nonzero().squeeze(1)
        if len(missed) == 0:
            return w, found
        k, v = log_P.shape[1:]
        symbol = torch.arange(k, device=w.device).repeat_interleave(v)  # change c: symbol c // v
        value = torch.arange(v, device=w.device).repeat(k)  # ... to value c % v
        w_missed, log_P_missed = w[missed], log_P[missed]
        changed = w_missed.unsqueeze(1).repeat(1, k * v, 1)  # (B', K*V, K)
        changed[:, torch.arange(k * v), symbol] = value
        answers = self.function(changed.flatten(0, 1)).view(len(missed), k * v, -1)
        gives = (answers == y[missed].unsqueeze(1)).all(dim=2)
        read = log_P_missed.gather(2, w_missed.unsqueeze(2))
        loss = (read - log_P_missed).flatten(1).masked_fill(~gives, math.inf)
        best = loss.argmin(dim=1)
        repaired = gives.any(dim=1)
        rows, best = missed[repaired], best[repaired]
        w[rows, symbol[best]] = value[best]
        found[rows] = True
        return w, found

    def step(self, x: Tensor, y: Tensor) -> StepLosses:
        """One joint training step (:meth:`joint_loss`, then the perception's own Adam)."""
        loss = self.joint_loss(x, y)
        self.perception_optimizer.zero_grad(set_to_none=True)
        loss.perception.backward()
        self.perception_optimizer.step()
        return StepLosses(loss.q, loss.perception.item())

    def warm_up(self) -> float | None:
        """``config.warmup`` steps of q on the prior alone (no data: the beliefs it has not yet
        seen are the initial ones, close to one-hot); the last loss, ``None`` for no steps."""
        loss = None
        for _ in range(self.config.warmup):
            loss = self.train_q()
        return loss

    def train_q(self, batch_beliefs: Tensor | None = None) -> float:
        """One off-policy step of q on beliefs from the (refitted) prior, plus
        ``batch_beliefs`` ``(B, K, V)`` if given; returns the loss."""
        if batch_beliefs is not None:
            self.prior.observe(batch_beliefs)
        self.prior.fit()
        P = self.prior.sample(self.config.samples).to(self.prior.raw.device)
        if batch_beliefs is not None:
            P = torch.cat([P, batch_beliefs.to(P.dtype)])
        w = Categorical(probs=P).sample()
        y = self.function(w)
        if self.explanation is None:
            loss = -self.q.log_prob(P, y).mean()
        else:  # q(y | P) q(w | y, P) matched to p(w | P) in log space, as the paper's "mse"
            log_p = P.gather(2, w.unsqueeze(2)).squeeze(2).clamp_min(LOG_FLOOR).log().sum(dim=1)
            gap = self.q.log_prob(P, y) + self.explanation.log_prob(P, y, w) - log_p
            loss = gap.square().mean()
        self.q_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.q_optimizer.step()
        return loss.item()

    def explain(self, P: Tensor, y: Tensor) -> Tensor:
        """The explanation model's explanation ``(B, K)`` of answers ``y`` ``(B, M)`` under
        beliefs ``P`` ``(B, K, V)``, by beam search (``config.beam``): the symbol values that
        most probably gave ``y`` (``c(w) = y`` guaranteed under pruning).

        Raises
        ------
        ConfigError
            No explanation model (``config.explain`` false).
        """
        if self.explanation is None:
            raise ConfigError("no explanation model: train with explain=True")
        return self.explanation.explain(P, y, self.config.beam)

    @torch.no_grad()
    def predict(self, P: Tensor) -> tuple[Tensor, Tensor]:
        """``(neural, symbolic)`` predictions ``(B, M)`` from beliefs ``P`` ``(B, K, V)``: q's
        beam search, and ``c(argmax P)``."""
        return self.q.predict(P, self.config.beam), self.function(P.argmax(dim=2))
