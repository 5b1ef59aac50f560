"""Vtrees that respect categorical groups.

A balanced vtree over all variables cuts through the indicator block of a categorical group
now and then; every such cut multiplies the states an SDD must keep (which indicator of the
half-seen group is set). Building the balanced tree over *blocks* (a group's indicators, or
one fact), balanced inside each block too, keeps circuits of chain-structured programs
(carries through n columns) small and shallow.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from pysdd.sdd import Vtree

__all__ = ["block_vtree"]


def block_vtree(blocks: Sequence[Sequence[int]], crossing: Sequence[int] = ()) -> Vtree:
    """A vtree: balanced over ``blocks`` (in order), and balanced inside each block.

    ``crossing[m]`` counts the rules that touch blocks on both sides of the cut before block
    ``m``; each split is made where it is lowest within the middle third of its range, so
    that splits fall between the program's natural units (columns, not inside one).
    """
    lines: list[str] = []

    def leaf(var: int) -> int:
        lines.append(f"L {len(lines)} {var}")
        return len(lines) - 1

    def internal(left: int, right: int) -> int:
        lines.append(f"I {len(lines)} {left} {right}")
        return len(lines) - 1

    def within(variables: Sequence[int]) -> int:
        if len(variables) == 1:
            return leaf(variables[0])
        half = len(variables) // 2
        return internal(within(variables[:half]), within(variables[half:]))

    def balanced(lo: int, hi: int) -> int:
        if hi - lo == 1:
            return within(blocks[lo])
        third = (hi - lo) // 3
        candidates = range(lo + max(third, 1), hi - third) if third else [(lo + hi) // 2]
        mid = min(candidates, key=lambda m: (crossing[m] if crossing else 0, abs(2 * m - lo - hi)))
        return internal(balanced(lo, mid), balanced(mid, hi))

    balanced(0, len(blocks))
    # pysdd reads vtrees from files only; the file is ours and removed at once.
    handle, path = tempfile.mkstemp(suffix=".vtree")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(f"vtree {len(lines)}\n" + "\n".join(lines) + "\n")
        return Vtree.from_file(path.encode())
    finally:
        os.unlink(path)
