"""Suite-wide settings: one torch thread (the machines are small and shared; the default
thread count made training tests 4-25x slower) in this process and in every subprocess."""

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import torch  # noqa: E402  (after the variables, which torch reads when it loads)

torch.set_num_threads(1)
