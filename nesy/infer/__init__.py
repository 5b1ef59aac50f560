"""The differentiable inference layer: compile ground queries to circuits, evaluate batched."""

from nesy.infer.compile import CompiledQuery, compile_queries
from nesy.infer.model import Explanation, Model
from nesy.infer.query import explain, query

__all__ = ["CompiledQuery", "compile_queries", "Explanation", "Model", "explain", "query"]
