"""Correctness oracles: nesy against ProbLog and against an independent brute force."""
