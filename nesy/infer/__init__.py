"""The differentiable inference layer: compile ground queries to circuits, evaluate batched.

The names are imported on first use, so that a torch-free part (``nesy.infer.logic``, which
``nesy solve`` uses) does not load torch with the rest.
"""

from typing import TYPE_CHECKING

from nesy.lazy import lazy_attributes

if TYPE_CHECKING:
    from nesy.infer.compile import CompiledQuery, Compiler, compile_queries
    from nesy.infer.model import Explanation, Model
    from nesy.infer.query import explain, query

__all__ = [
    "CompiledQuery",
    "Compiler",
    "compile_queries",
    "Explanation",
    "Model",
    "explain",
    "query",
]

lazy_attributes(
    __name__,
    {
        "CompiledQuery": "nesy.infer.compile",
        "Compiler": "nesy.infer.compile",
        "compile_queries": "nesy.infer.compile",
        "Explanation": "nesy.infer.model",
        "Model": "nesy.infer.model",
        "explain": "nesy.infer.query",
        "query": "nesy.infer.query",
    },
)
