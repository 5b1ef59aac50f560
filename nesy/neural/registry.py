"""Binding the networks a program names (``nn(NAME, ...)``) to torch modules.

A name is bound, first match wins, to

1. a module the user gives (``networks={"net": module}`` in Python, or the ``{name: module}``
   that ``--networks mypkg.nets:build`` returns);
2. a built-in chosen by the user (``networks={"net": "mlp"}``);
3. the built-in of the same name: ``mnist_net`` (:class:`~nesy.neural.nets.MnistNet`, 28x28
   greyscale images), ``mlp`` (:class:`~nesy.neural.nets.Mlp`, vectors; input size read from
   the data), ``observed`` (:class:`~nesy.neural.nets.Observed`, integer labels as certain
   values).

Built-ins get the size of the predicate's domain as their output size.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from torch import nn

from nesy.errors import ConfigError, NesyTypeError
from nesy.lang import ir
from nesy.neural.nets import Mlp, MnistNet, Observed

__all__ = ["BUILT_IN", "bind_networks", "load_networks"]

#: Built-in network name -> constructor taking the size of the output domain.
BUILT_IN: dict[str, Callable[[int], nn.Module]] = {
    "mnist_net": MnistNet,
    "mlp": Mlp,
    "observed": Observed,
}


def load_networks(spec: str) -> dict[str, nn.Module]:
    """Call the user's ``"package.module:function"``, which returns ``{name: nn.Module}``.

    This imports and runs the user's own code, by their explicit choice.

    Raises
    ------
    ConfigError
        ``spec`` is not ``module:function``, cannot be imported, or returns something else.
    """
    module_name, colon, function_name = spec.partition(":")
    if not colon or not module_name or not function_name.isidentifier():
        raise ConfigError(f"--networks {spec!r}: expected MODULE:FUNCTION, e.g. mypkg.nets:build")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"--networks {spec!r}: cannot import {module_name!r} ({exc})") from None
    build = getattr(module, function_name, None)
    if not callable(build):
        raise ConfigError(f"--networks {spec!r}: {module_name} has no function {function_name!r}")
    networks = build()
    if not isinstance(networks, Mapping) or not all(
        isinstance(k, str) and isinstance(v, nn.Module) for k, v in networks.items()
    ):
        raise ConfigError(f"--networks {spec!r}: {function_name}() must return {{name: nn.Module}}")
    return dict(networks)


def bind_networks(
    program: ir.Program, given: Mapping[str, nn.Module | str] | None = None
) -> dict[str, nn.Module]:
    """A module for every network ``program`` names (rules: this module's docstring).

    Raises
    ------
    NesyTypeError
        A network is neither given nor built in, or one network is declared with two domain
        sizes; positioned at its ``nn(...)`` declaration.
    ConfigError
        A given name is not a network of the program, or names no built-in.
    """
    given = dict(given or {})
    sizes: dict[str, int] = {}
    for declaration in program.neural_predicates:
        name, size = declaration.network, len(declaration.domain)
        if sizes.setdefault(name, size) != size:
            raise NesyTypeError(
                f"network '{name}' is declared with domains of {sizes[name]} and {size} values; "
                "a network has one output size",
                declaration.span,
            )
    unused = sorted(set(given) - set(sizes))
    if unused:
        raise ConfigError(
            f"networks {unused} are given but the program names only {sorted(sizes) or 'none'}"
        )
    networks = {}
    for declaration in program.neural_predicates:
        name = declaration.network
        if name in networks:
            continue
        choice = given.get(name, name)
        if isinstance(choice, nn.Module):
            networks[name] = choice
        elif choice in BUILT_IN:
            networks[name] = BUILT_IN[choice](sizes[name])
        elif name in given:
            raise ConfigError(
                f"network '{name}': {choice!r} is not a built-in ({', '.join(BUILT_IN)})"
            )
        else:
            raise NesyTypeError(
                f"network '{name}' is neither built in ({', '.join(BUILT_IN)}) nor given; give "
                "it with --networks MODULE:FUNCTION (Python: networks={name: module})",
                declaration.span,
            )
    return networks
