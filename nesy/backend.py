"""The one interface every backend satisfies, how backends are found, and which one ``auto`` picks.

A backend is any object with the members of :class:`Backend`, registered under the
``nesy.backends`` entry point group (the exact backend too: ``exact = "nesy.exact:BACKEND"``),
so the core never imports ``solvers/``. From Python, without the command line::

    from nesy.backend import backends, choose
    backend, verdict = choose(program, backends())
    probabilities = backend.query(program)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol

from nesy.errors import BackendError
from nesy.infer.budget import DEFAULT_BUDGET, Budget

if TYPE_CHECKING:
    from torch import nn

    from nesy.answers import AnswerModule
    from nesy.lang import ir

__all__ = ["AUTO_ORDER", "Backend", "TaskOnlyBackend", "Verdict", "backends", "choose"]

#: The order in which ``auto`` asks the backends: exact answers and gradients first, then stable
#: models for the programs outside that class; the others (each answers its own tasks) after,
#: by name.
AUTO_ORDER = ("exact", "asp")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a backend takes a program, why, and where in the program the reason is."""

    accepted: bool
    reason: str
    span: ir.Span | None = None

    def __bool__(self) -> bool:
        return self.accepted

    def __str__(self) -> str:
        return self.reason if self.span is None else f"{self.reason} at {self.span}"


class Backend(Protocol):
    """What every backend provides.

    ``accepts`` says whether the program is in the backend's class (cheap: no grounding where
    the text decides); ``model`` binds the networks and returns a module whose forward pass gives
    the answers' log-probabilities (:class:`nesy.answers.AnswerModule`); ``query`` answers a
    program without networks, as ``{ground atom: probability}``, within ``budget`` where the
    backend can bound its work.
    """

    name: str

    def accepts(self, program: ir.Program) -> Verdict: ...

    def model(
        self,
        program: ir.Program,
        networks: Mapping[str, nn.Module],
        query: ir.Atom | None = None,
    ) -> AnswerModule: ...

    def query(self, program: ir.Program, budget: Budget = DEFAULT_BUDGET) -> dict[str, float]: ...


def backends() -> dict[str, Backend]:
    """Every registered backend by name, in :data:`AUTO_ORDER`, then the others by name."""
    found = {entry.name: entry for entry in entry_points(group="nesy.backends")}
    order = [n for n in AUTO_ORDER if n in found] + sorted(set(found) - set(AUTO_ORDER))
    return {name: found[name].load() for name in order}


def choose(program: ir.Program, candidates: Mapping[str, Backend]) -> tuple[Backend, str]:
    """The first of ``candidates`` (in their order) that accepts the program, and why: its
    verdict, after the refusal of any backend asked before it.

    Raises
    ------
    BackendError
        No candidate accepts it; the message gives each one's reason, at the first one's span.
    """
    refusals: list[Verdict] = []
    for backend in candidates.values():
        verdict = backend.accepts(program)
        if verdict:
            why = f"{refusals[0]}: {verdict.reason}" if refusals else verdict.reason
            return backend, why
        refusals.append(verdict)
    reasons = "; ".join(f"{n}: {v.reason}" for n, v in zip(candidates, refusals, strict=True))
    span = next((v.span for v in refusals if v.span is not None), None)
    raise BackendError(f"no backend takes this program ({reasons or 'none registered'})", span)


class TaskOnlyBackend:
    """A backend that trains the tasks that name it (in ``tasks/``) and answers no program:
    it accepts none, and its ``model`` and ``query`` say so."""

    def __init__(self, name: str) -> None:
        self.name = name

    def accepts(self, program: ir.Program) -> Verdict:
        return Verdict(
            False,
            f"the {self.name} backend trains its tasks only (nesy train --backend {self.name})",
        )

    def model(
        self,
        program: ir.Program,
        networks: Mapping[str, nn.Module],
        query: ir.Atom | None = None,
    ) -> AnswerModule:
        raise BackendError(str(self.accepts(program)))

    def query(self, program: ir.Program, budget: Budget = DEFAULT_BUDGET) -> dict[str, float]:
        raise BackendError(str(self.accepts(program)))
