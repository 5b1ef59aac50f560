"""Learning-rate schedules: the one list of their names, for the trainer and the command line.

Torch-free, so that ``nesy train --help`` can list the schedules without importing torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["SCHEDULES"]


def _cosine(e: int, epochs: int) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * (e - 1) / epochs))


def _warmup_cosine(e: int, epochs: int) -> float:
    warm = max(1, epochs // 5)
    return e / warm if e <= warm else _cosine(e - warm, epochs - warm)


def _step_07(e: int, epochs: int) -> float:
    factor = 1.0
    for _ in range(e - 1):  # one product per epoch, as StepLR takes it: the same floats
        factor *= 0.7
    return factor


#: Schedule name -> the factor on ``lr`` in epoch ``e`` (1-based) of ``E``. ``cosine`` anneals
#: from ``lr`` in the first epoch towards 0 in the last, which settles the final weights;
#: ``warmup_cosine`` first rises linearly over a fifth of the epochs (gentle steps while a
#: weakly supervised network's targets are still mostly noise), then anneals the same way.
#: ``step_0.7`` multiplies the rate by 0.7 after every epoch (torch's ``StepLR(step_size=1,
#: gamma=0.7)``, which Pi-NeSy uses with Adadelta).
SCHEDULES: dict[str, Callable[[int, int], float]] = {
    "constant": lambda e, epochs: 1.0,
    "cosine": _cosine,
    "warmup_cosine": _warmup_cosine,
    "step_0.7": _step_07,
}
