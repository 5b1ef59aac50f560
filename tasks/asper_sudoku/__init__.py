"""ASPER on 9x9 Sudoku (ALGORITHMS.md C): an MLP trained with answer-set-programming penalties,
the notebook's losses as published and repaired (:mod:`.asper`); benchmarks/asper.py runs it."""
