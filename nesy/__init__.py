"""nesy: logic programs with neural predicates, trained through exact differentiable inference.

Text -> ``parse`` -> Program IR -> ground (clingo) -> compile (SDD -> circuit) -> ``Model``
(an ``nn.Module``: input tensors -> log-probabilities of the answers) -> loss.
"""

from nesy.errors import NesyError
from nesy.infer import Explanation, Model, explain, query
from nesy.lang import parse, parse_file

__all__ = ["Explanation", "Model", "NesyError", "explain", "parse", "parse_file", "query"]
__version__ = "0.1.0"
