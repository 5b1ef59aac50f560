"""The ASP backend: stable-model semantics with neural atoms (NeurASP), solved by clingo.

``AspProgram`` grounds a program once; ``observe`` lists the total choices under which an
observation holds (a decision diagram); ``AspModel`` is the ``nn.Module`` that trains networks
through it; ``stable_models`` and ``most_probable_models`` answer ``nesy solve``, and
``solvers.asp.plain`` hands plain clingo programs to clingo as written.
"""

from typing import TYPE_CHECKING

from nesy.lazy import lazy_attributes

if TYPE_CHECKING:
    from solvers.asp.diagram import Diagram, build_diagram
    from solvers.asp.layer import AspModel, group_table, log_not
    from solvers.asp.program import AspProgram, ChoiceGroup, merge
    from solvers.asp.semantics import (
        SCALE,
        StableModel,
        most_probable,
        most_probable_models,
        observe,
        relevant_program,
        stable_models,
    )

__all__ = [
    "AspModel",
    "AspProgram",
    "ChoiceGroup",
    "Diagram",
    "SCALE",
    "StableModel",
    "build_diagram",
    "group_table",
    "log_not",
    "merge",
    "most_probable",
    "most_probable_models",
    "observe",
    "relevant_program",
    "stable_models",
]

# imported on first use, so that `nesy solve` on a plain program loads neither torch nor
# numpy/networkx
_HOMES = {
    "layer": ("AspModel", "group_table", "log_not"),
    "diagram": ("Diagram", "build_diagram"),
    "program": ("AspProgram", "ChoiceGroup", "merge"),
    "semantics": (
        "SCALE",
        "StableModel",
        "most_probable",
        "most_probable_models",
        "observe",
        "relevant_program",
        "stable_models",
    ),
}
lazy_attributes(
    __name__, {name: f"{__name__}.{module}" for module, names in _HOMES.items() for name in names}
)
