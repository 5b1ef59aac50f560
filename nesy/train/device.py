"""Where training runs: the device and the number of CPU threads.

Torch is imported where it is used: the command line reads :data:`DEVICES` and
:data:`DEFAULT_THREADS` before it knows whether the command needs torch.

``DEFAULT_THREADS`` is measured (benchmarks/README.md, "Torch threads"): on a 2-core machine
shared with other jobs, one torch thread trained the digit-addition task fastest; more threads
mostly spin-wait for cores that other jobs hold, and every added thread changes the
floating-point sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nesy.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from torch import Tensor, nn

__all__ = [
    "DEVICES",
    "DEFAULT_THREADS",
    "resolve_device",
    "set_threads",
    "module_device",
    "inputs_on",
]

#: What ``--device`` accepts; ``auto`` is CUDA when torch sees a GPU, else the CPU.
DEVICES = ("auto", "cpu", "cuda")
DEFAULT_THREADS = 1


def resolve_device(name: str) -> torch.device:
    """The device ``--device NAME`` means.

    Raises
    ------
    ConfigError
        ``cuda`` on a machine (or a torch build) without CUDA, or an unknown name.
    """
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in DEVICES:
        raise ConfigError(f"unknown device {name!r}; expected one of {', '.join(DEVICES)}")
    if name == "cuda" and not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise ConfigError(
            f"--device cuda: no CUDA device is available (torch {torch.__version__}, {build}); "
            "use --device cpu or auto"
        )
    return torch.device(name)


def set_threads(threads: int) -> int:
    """Use ``threads`` torch threads for this process; returns the count set."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"--threads must be an integer >= 1; got {threads!r}")
    import torch

    torch.set_num_threads(threads)
    return threads


def module_device(module: nn.Module) -> torch.device:
    """The device of a module's first parameter or buffer (the CPU when it has none)."""
    import torch

    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def inputs_on(inputs: Mapping[str, Tensor], device: torch.device | str) -> dict[str, Tensor]:
    """The named input tensors on ``device`` (no copy when already there)."""
    return {name: value.to(device, non_blocking=True) for name, value in inputs.items()}
