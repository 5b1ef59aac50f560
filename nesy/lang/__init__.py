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

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nesy.lang.ir import *  # noqa: F403
    from nesy.lang.parser import parse as parse
    from nesy.lang.parser import parse_file as parse_file
    from nesy.lang.parser import parse_files as parse_files

_PARSER = ("parse", "parse_file", "parse_files")


def __getattr__(name: str) -> object:
    # Both halves load on first use: the parser loads lark and builds its tables (~30 ms), the
    # IR builds its node classes (~15 ms). `nesy solve` on a plain clingo program needs neither,
    # only nesy.lang.source_file; ``from nesy.lang import ir`` skips the parser. (import_module:
    # a `from nesy.lang import ...` here would ask this function for the submodule first.)
    if name in _PARSER:
        return getattr(import_module("nesy.lang.parser"), name)
    if name.startswith("__") and name != "__all__":  # __path__, __file__, ... are set
        raise AttributeError(f"module 'nesy.lang' has no attribute {name!r}")
    ir = import_module("nesy.lang.ir")
    if name == "__all__":  # `from nesy.lang import *`
        return [*_PARSER, *ir.__all__]
    if name in ir.__all__:
        return getattr(ir, name)
    raise AttributeError(f"module 'nesy.lang' has no attribute {name!r}")
