"""ViSudo-PC with Pi-NeSy (ALGORITHMS.md A.9): the Sudoku's size (``#const size``) and the pairs
of cells that must differ (its ground ``same_unit/4`` atoms) come from the program."""

from __future__ import annotations

import os
from typing import Any

from nesy.lang import parse_file
from nesy.task import TaskConfig
from tasks.pinesy_results import write_result

__all__ = ["run_pinesy_visudo"]


def run_pinesy_visudo(config: TaskConfig) -> dict[str, Any]:
    """Train and test Pi-NeSy on one ViSudo-PC split (``config.seed``)."""
    from tasks.visudo.data import load_split
    from tasks.visudo.pinesy_sudoku import explain, program_pairs, run_sudoku

    program = parse_file(os.fspath(config.program))
    options, progress = config.options, config.progress and os.isatty(2)
    size = program.constant("size")
    pairs = program_pairs(program, size)
    split = load_split(size, config.seed, config.test_dir)
    run = run_sudoku(split, options["method"], epochs=config.epochs or 20, seed=config.seed,
                     progress=progress, pairs=pairs)  # fmt: skip
    figures = run.metrics
    print(
        f"Pi-NeSy-{options['method']}, ViSudo-PC {size}x{size} split {config.seed}: accuracy "
        f"{figures['accuracy']:.4f} on {len(split.test.valid)} test puzzles (ambiguous "
        f"{figures['ambiguous_rate']:.4f}, ROC-AUC {figures['roc_auc']:.4f}); CNN cell accuracy "
        f"{figures['cnn_accuracy']:.4f}; {figures['nonzero_parameters']:.1%} of the rule "
        "parameters are above 0"
    )
    count, wanted = len(split.test.valid), options["explain"]
    # spread over the test puzzles, which hold the valid ones first and then their twins
    for puzzle in range(0, count, max(1, count // max(wanted, 1)))[:wanted]:
        truly = "valid" if split.test.valid[puzzle] else "invalid"
        print(f"\ntest puzzle {puzzle} (truly {truly}):")
        print(explain(run.model, run.test_possibility[puzzle]).to_text())
    model = run.model
    state = {"cnn": run.net.state_dict(), "first": model.first, "second": model.second}
    write_result(config.out_dir, figures, state)
    return figures
