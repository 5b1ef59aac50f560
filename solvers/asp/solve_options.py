"""Typed access to clingo's ``solve`` option group."""

from __future__ import annotations

import clingo


def solve_options(control: clingo.Control) -> clingo.Configuration:
    """``control``'s ``solve`` options (``models``, ``opt_mode``, ...), to set before solving.

    clingo types an option lookup as a value, a group or None; ``solve`` is always a group.
    """
    options = control.configuration.solve
    assert isinstance(options, clingo.Configuration)
    return options
