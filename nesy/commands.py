"""The command groups that backends add to ``nesy`` (``nesy solve``, ``nesy sat ...``), found
without importing the backends that are not run.

A backend adds its group through a ``nesy.commands`` entry point named as its command, so the
core never imports ``solvers/``. Reading entry points imports :mod:`importlib.metadata` and
scans every installed distribution: about 20 ms, a third of clingo's whole run on a small
program. This project's own groups are therefore also listed in :data:`OWN`, with their
one-line help: ``nesy solve`` imports its own module only, and entry points are read only for
``nesy --help`` or a command that :data:`OWN` does not name (a group another distribution
adds). tests/cli/test_commands.py checks :data:`OWN` against the entry points and the groups'
own help.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection
from importlib import import_module
from typing import TYPE_CHECKING

__all__ = ["OWN", "add_groups"]

#: This project's ``nesy.commands`` entry points (pyproject.toml), in their order there:
#: command -> ("module:function", its one-line help in ``nesy --help``).
OWN: dict[str, tuple[str, str]] = {
    "edcr": (
        "solvers.edcr.cli:register",
        "learn and apply error detection and correction rules",
    ),
    "sat": ("solvers.sat.cli:register", "SAT solving guided by NeuroSAT / NeuroCore"),
    "solve": (
        "solvers.asp.cli:register",
        "most probable stable model of a program; plain clingo programs run as written",
    ),
}

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]  # add_subparsers' value
    Register = Callable[[Commands], None]  # a group's ``register`` function


def _load(target: str) -> Register:
    module, function = target.split(":")
    register: Register = getattr(import_module(module), function)
    return register


def add_groups(commands: Commands, command: str | None, core: Collection[str]) -> None:
    """Add the backends' groups to ``commands`` for a command line whose command word is
    ``command`` (``None``: there is none, as in ``nesy --help``).

    The group that is run is added in full (its module imported); for a core command (one of
    ``core``) none is, since its parser is all that runs. Otherwise every group is named with
    its help, so that ``nesy --help`` lists them and argparse's refusal of an unknown command
    names them; a group that only an entry point knows is loaded to learn its help.
    """
    if command in core:
        return
    if command in OWN:
        for name, (target, text) in OWN.items():
            if name == command:
                _load(target)(commands)
            else:
                commands.add_parser(name, help=text)
        return
    from importlib.metadata import entry_points  # only here: see the module's docstring

    others = [e for e in entry_points(group="nesy.commands") if e.name not in OWN]
    chosen = [entry for entry in others if entry.name == command]
    if not chosen:
        for name, (_, text) in OWN.items():
            commands.add_parser(name, help=text)
    for entry in chosen or others:
        entry.load()(commands)
