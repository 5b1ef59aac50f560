"""The one interface every task satisfies (a data set, its networks and metrics, the program it
trains, and a ``run``), and how tasks are found.

Tasks live outside the engine, in ``tasks/`` (one folder each) or in any installed package, and
are registered under the ``nesy.tasks`` entry point group, as backends are under
``nesy.backends``; ``nesy train PROGRAM --task NAME`` runs one. From Python::

    from nesy.task import TaskConfig, tasks
    summary = tasks()[name].run(TaskConfig(Path(program), backend="exact", epochs=1))
"""

from __future__ import annotations

import argparse
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from nesy.errors import ConfigError

__all__ = [
    "Task",
    "TaskConfig",
    "backend_options",
    "owned_options",
    "refuse_ignored_options",
    "task_for",
    "tasks",
]

#: The argument groups made by :func:`backend_options`, with the backend each belongs to.
_OWNERS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class TaskConfig:
    """What a task's ``run`` is given. ``None`` settings keep the task's own defaults (its tuned
    epochs, batch size, learning rate and schedule); ``options`` holds the values of the options
    the task added itself (``Task.add_arguments``), by their ``dest`` name."""

    program: Path
    backend: str = "exact"
    seed: int = 0
    out_dir: Path = Path("runs/task")
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    schedule: str | None = None
    test_dir: Path | None = None
    progress: bool = True
    resume: bool = False
    device: str = "cpu"
    options: Mapping[str, Any] = field(default_factory=dict)

    def where(self) -> dict[str, Any]:
        """Seed, folders, progress, resume and device, as keyword arguments of a runner."""
        return {
            "seed": self.seed,
            "out_dir": self.out_dir,
            "test_dir": self.test_dir,
            "progress": self.progress,
            "resume": self.resume,
            "device": self.device,
        }

    def settings(self) -> dict[str, Any]:
        """The training settings that were given (not ``None``), by name."""
        given: dict[str, Any] = {"epochs": self.epochs, "batch_size": self.batch_size}
        given |= {"lr": self.lr, "schedule": self.schedule}
        return {name: value for name, value in given.items() if value is not None}


class Task(Protocol):
    """What every task provides.

    ``backends`` are the backends that can train it, in the order ``--backend auto`` asks them
    (:func:`nesy.backend.choose`); ``programs`` the file names of the shipped programs it is the
    task of, so that ``nesy train`` on one of them needs no ``--task``;
    ``add_arguments`` adds the task's own options to ``nesy train``; ``run`` trains and evaluates,
    prints a one-line summary and returns the figures (written to the run's ``run.json``).
    """

    name: str
    backends: tuple[str, ...]
    programs: tuple[str, ...]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, config: TaskConfig) -> Mapping[str, Any]: ...


def tasks() -> dict[str, Task]:
    """Every registered task by name (each module is imported: keep task modules' top level free
    of torch, which ``nesy train`` loads once a task runs)."""
    found = sorted(entry_points(group="nesy.tasks"), key=lambda entry: entry.name)
    return {entry.name: entry.load() for entry in found}


def task_for(name: str | None, program: Path | None, known: Mapping[str, Task]) -> Task:
    """The task ``name``; without a name, the task whose shipped program ``program`` is.

    Raises
    ------
    ConfigError
        An unknown name, or no name and a program that is no task's (the message lists the
        known tasks).
    """
    names = ", ".join(known) or "none registered"
    if name is not None:
        if name not in known:
            raise ConfigError(f"unknown task '{name}'; known tasks: {names}")
        return known[name]
    claimed = [
        task for task in known.values() if program is not None and program.name in task.programs
    ]
    if not claimed:
        raise ConfigError(f"{program}: name its task with --task (known tasks: {names})")
    return claimed[0]


def backend_options(parser: argparse.ArgumentParser, backend: str, about: str) -> Any:
    """The argument group for the options of one backend (in ``Task.add_arguments``), titled
    ``"<backend> backend (<about>)"``: ``nesy train`` refuses a value given to one of them when
    another backend trains, which would ignore it (:func:`refuse_ignored_options`)."""
    group = parser.add_argument_group(f"{backend} backend ({about})")
    _OWNERS[group] = backend
    return group


def owned_options(parser: argparse.ArgumentParser) -> dict[str, tuple[str, str, Any]]:
    """``dest: (backend, option, default)`` of every option made by :func:`backend_options`."""
    return {
        action.dest: (owner, action.option_strings[0], action.default)
        for group in parser._action_groups
        if (owner := _OWNERS.get(group)) is not None
        for action in group._group_actions
    }


def refuse_ignored_options(
    values: Mapping[str, Any], owned: Mapping[str, tuple[str, str, Any]], backend: str
) -> None:
    """Refuse the options of other backends than ``backend`` whose ``values`` differ from
    their defaults (``owned``: :func:`owned_options`).

    Raises
    ------
    ConfigError
        Naming each such option and its backend.
    """
    ignored = [
        f"{option} (the {owner} backend's)"
        for dest, (owner, option, default) in owned.items()
        if owner != backend and values[dest] != default
    ]
    if ignored:
        them = "them" if len(ignored) > 1 else "it"
        raise ConfigError(
            f"{', '.join(ignored)}: the {backend} backend runs this command and would ignore "
            f"{them}; leave {them} out or choose the backend with --backend"
        )
