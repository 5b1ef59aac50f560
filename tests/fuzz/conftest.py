"""One hypothesis profile for the fuzz tests: a fixed seed (derandomize), no example database,
no per-example deadline, and few examples so that the default run takes seconds;
NESY_FUZZ_EXAMPLES asks for a longer run (5,000 each found two more bugs)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "nesy-fuzz",
    max_examples=int(os.environ.get("NESY_FUZZ_EXAMPLES", "100")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("nesy-fuzz")
