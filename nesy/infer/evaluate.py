"""The one entry point to circuit evaluation: which ``nn.Module`` evaluates a circuit, and why.

Three evaluators compute the same root values; they differ in what they are fast at:

:class:`~nesy.infer.terms.TermsModule` (flat)
    the circuit expanded into a sum of products of literals, evaluated as two dense
    reductions. Small circuits spend their time on per-layer overhead, not arithmetic, so
    when the expansion is small (one-digit addition: 100 terms of 2 literals) this is the
    fastest, in the forward and the backward pass. It does ``log`` and ``prob``;
    :func:`evaluator` takes it for ``log``.
:class:`~nesy.infer.logpass.LogCircuit` (log pass)
    the ``log`` semiring with a hand-written backward pass, one buffer row per node: the
    training path for circuits too big to flatten.
:class:`~nesy.infer.layers.CircuitModule` (layered)
    any semiring, differentiated by autograd; the reference the other two are tested against,
    and the only one that smooths, keeps top-k proof lists or explains (``explain``).

:func:`evaluator` picks one of them for a semiring; the modules can also be built directly.
Shape letters as in :mod:`nesy.infer.circuit`: ``B`` batch, ``V`` variables, ``Q`` roots.
"""

from __future__ import annotations

from torch import nn

from nesy.infer.circuit import Circuit
from nesy.infer.layers import CircuitModule
from nesy.infer.logpass import LogCircuit
from nesy.infer.semiring import get_semiring
from nesy.infer.terms import TermsModule, expand_terms

__all__ = ["evaluator", "MAX_FLAT_TERMS"]

MAX_FLAT_TERMS = 4096
"""Up to this many terms in all roots together, a ``log`` circuit is evaluated flat: two
segment reductions instead of one per layer, which is what small circuits spend their time on."""


def evaluator(circuit: Circuit, semiring: str = "log", *, k: int | None = None) -> nn.Module:
    """The module that evaluates ``circuit``'s roots in ``semiring``.

    ``"log"`` (exact log-probabilities; the training default)
        :class:`~nesy.infer.terms.TermsModule` when the roots expand into at most
        :data:`MAX_FLAT_TERMS` terms in all, else :class:`~nesy.infer.logpass.LogCircuit`.
    ``"prob"``, ``"max_product"``, ``"max_min"``, ``"top_k"`` (with ``k``)
        :class:`~nesy.infer.layers.CircuitModule`, on the smoothed circuit where the semiring
        needs it (max-product, max-min). Build a ``CircuitModule`` directly for
        :meth:`~nesy.infer.layers.CircuitModule.explain` or to choose the smoothing.

    Parameters
    ----------
    circuit
        The compiled circuit.
    semiring
        A name in :data:`~nesy.infer.semiring.SEMIRINGS`, or ``"top_k"``.
    k
        For ``"top_k"`` (required there): how many proofs each node keeps.

    Raises
    ------
    ConfigError
        For an unknown semiring, ``top_k`` without a valid ``k``, or ``k`` with another one.

    Shape:
        The module maps ``pos, neg``: ``(B, V)`` literal weights in the semiring's domain to
        ``(B, Q)`` root values.

    Examples
    --------
    >>> import torch
    >>> from pysdd.sdd import SddManager
    >>> from nesy.infer.circuit import circuit_from_sdd
    >>> mgr = SddManager(2)
    >>> circuit = circuit_from_sdd([mgr.literal(1) | mgr.literal(2)], num_vars=2)
    >>> module = evaluator(circuit)
    >>> type(module).__name__  # two terms: {1}, {-1, 2}
    'TermsModule'
    >>> p = torch.tensor([[0.5, 0.5]])
    >>> module(p.log(), (1 - p).log()).exp()
    tensor([[0.7500]])
    >>> type(evaluator(circuit, "max_product")).__name__
    'CircuitModule'
    """
    get_semiring(semiring, k=k)  # unknown names and a misplaced k fail here, for every choice
    if semiring != "log":
        return CircuitModule(circuit, semiring, k=k)
    terms = expand_terms(circuit, MAX_FLAT_TERMS)
    if terms is not None and sum(len(t) for t in terms) <= MAX_FLAT_TERMS:
        return TermsModule(terms, circuit.num_vars, semiring="log")
    return LogCircuit(circuit)
