"""Visual 9x9 Sudoku: puzzles with a unique solution made with clingo, their givens shown as MNIST
images (:mod:`.puzzles`), read and solved with the ASP backend (:mod:`.asp_training`);
benchmarks/visual_sudoku.py runs it."""
