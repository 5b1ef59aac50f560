import numpy as np
import pytest

from solvers.edcr.conditions import Conditions


def secondary_task(seed: int, n: int):
    """Three classes; the model errs 30% of the time, a secondary model (the conditions) 10%."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    predictions = np.where(rng.random(n) < 0.3, (labels + 1) % 3, labels)
    secondary = np.where(rng.random(n) < 0.9, labels, (labels + 2) % 3)
    names = tuple(f"sec={k}" for k in range(3))
    return predictions, labels, Conditions(names, secondary[:, None] == np.arange(3)[None, :])


@pytest.fixture
def make_secondary_task():
    return secondary_task
