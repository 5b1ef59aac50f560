"""nesy: logic programs with neural predicates, trained through exact differentiable inference.

Text -> ``parse`` -> Program IR -> ground (clingo) -> compile (SDD -> circuit) -> ``Model``
(an ``nn.Module``: input tensors -> log-probabilities of the answers) -> loss.

The names are imported on first use, so that ``nesy --help`` and ``nesy solve`` never load torch.
"""

from typing import TYPE_CHECKING

from nesy.lazy import lazy_attributes

if TYPE_CHECKING:
    from nesy.errors import NesyError
    from nesy.infer import Explanation, Model, explain, query
    from nesy.lang import parse, parse_file
    from nesy.train.fit import FitResult, fit

__all__ = [
    "Explanation",
    "FitResult",
    "Model",
    "NesyError",
    "explain",
    "fit",
    "parse",
    "parse_file",
    "query",
]
__version__ = "0.1.0"

lazy_attributes(
    __name__,
    {
        "Explanation": "nesy.infer",
        "Model": "nesy.infer",
        "explain": "nesy.infer",
        "query": "nesy.infer",
        "NesyError": "nesy.errors",
        "parse": "nesy.lang",
        "parse_file": "nesy.lang",
        "fit": "nesy.train.fit",
        "FitResult": "nesy.train.fit",
    },
)
