"""Where a piece of text came from: the position every IR node and every error carries.

A module of its own so that :mod:`nesy.errors` and :mod:`nesy.lang.ir` both import it and
neither imports the other's module to get it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Span"]


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node came from: 1-based line and column, end exclusive.

    Examples
    --------
    >>> str(Span("p.nesy", 3, 1, 3, 6))
    'p.nesy:3:1'
    """

    source: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"
