"""The nesy language: text to the :class:`~nesy.lang.ir.Program` IR.

``parse(text)`` / ``parse_file(path)`` read a program written in a readable subset of clingo ASP
with ProbLog / DeepProbLog annotations, build the IR (see :mod:`nesy.lang.ir` for its node
grammar) and check it. Every node carries a :class:`Span`; errors render as ``file:line:col``.

Node grammar::

    Term       = Var | Const | Str | Func | BinOp | UnaryMinus | Abs | Interval | Pool
    BodyItem   = Literal | Comparison | Aggregate | Boolean
    Statement  = Rule | Constraint | ChoiceRule | ProbFact | AnnotatedDisjunction
               | NeuralPredicate | Query | Evidence | Show | ConstDef | Defined
"""

from typing import TYPE_CHECKING

from nesy.lang.ir import *  # noqa: F403
from nesy.lang.ir import __all__ as _ir_all

if TYPE_CHECKING:
    from nesy.lang.parser import parse, parse_file, parse_files

__all__ = ["parse", "parse_file", "parse_files", *_ir_all]


def __getattr__(name: str) -> object:
    # The parser loads lark and builds its tables; loading it on first use keeps
    # ``from nesy.lang import ir`` cheap for the modules that only read the IR.
    if name in ("parse", "parse_file", "parse_files"):
        from nesy.lang import parser

        return getattr(parser, name)
    raise AttributeError(f"module 'nesy.lang' has no attribute {name!r}")
