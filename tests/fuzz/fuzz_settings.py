"""The fuzz tests' hypothesis settings: a fixed seed (derandomize), no example database, no
per-example deadline, and few examples so that the default run takes seconds;
NESY_FUZZ_EXAMPLES asks for a longer run (5,000 each found two more bugs).

(A module, not a conftest.py: a second conftest beside tests/edcr's collides under
--doctest-modules.)"""

import os

from hypothesis import HealthCheck, settings

FUZZ = settings(
    max_examples=int(os.environ.get("NESY_FUZZ_EXAMPLES", "100")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
