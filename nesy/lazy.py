"""Package attributes imported on first use, so that importing a package for one torch-free part
(the command line, ``nesy solve``) does not load torch with the rest."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import import_module
from types import ModuleType
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, homes: Mapping[str, str]) -> None:
    """Make each name of ``homes`` (name -> the module that defines it) an attribute of
    ``package`` that imports its module when first read.

    The attributes are properties of the package's module class, so they also win over a
    submodule of the same name (``nesy.infer.query`` the function, not the module), as an
    eager ``from .query import query`` in ``__init__`` would: the import system's write of the
    submodule onto its package is ignored.
    """

    def read(name: str) -> property:
        def get(_: ModuleType) -> Any:
            return getattr(import_module(homes[name]), name)

        def ignore_submodule(_: ModuleType, value: object) -> None:
            if not isinstance(value, ModuleType):
                raise AttributeError(f"{package}.{name} is read-only")

        return property(get, ignore_submodule)

    module = sys.modules[package]
    lazy = type(type(module).__name__, (type(module),), {name: read(name) for name in homes})
    module.__class__ = lazy
