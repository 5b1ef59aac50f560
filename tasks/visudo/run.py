"""ViSudo-PC with the ASP backend (NeurASP semantics) or A-NeSI: one split, with the supervised
ceiling."""

from __future__ import annotations

import os
from typing import Any

from nesy.lang import parse_file
from nesy.task import TaskConfig
from tasks.visudo import ANESI_ENCODINGS

__all__ = ["run_visudo"]


def run_visudo(config: TaskConfig) -> dict[str, Any]:
    """``nesy train programs/visudo_4x4.nesy --task visudo [--backend anesi]``: split
    ``config.seed``."""
    from tasks.visudo.anesi_training import train_visudo_anesi
    from tasks.visudo.asp_training import train_ceiling, train_visudo
    from tasks.visudo.data import load_split

    program = parse_file(os.fspath(config.program))
    size = program.constant("size")
    split = load_split(size, config.seed, config.test_dir)
    log = (lambda line: print(line, flush=True)) if config.progress else (lambda _: None)
    epochs = config.epochs or 30
    if config.backend == "anesi":
        encoding = config.options.get("anesi_encoding", ANESI_ENCODINGS[0])
        run = train_visudo_anesi(
            program, split, epochs=epochs, seed=config.seed, encoding=encoding, log=log
        )
    else:
        run = train_visudo(program, split, epochs=epochs, seed=config.seed, log=log)
    ceiling = train_ceiling(split, seed=config.seed)
    estimate = "q(valid)" if config.backend == "anesi" else "P(valid)"  # A-NeSI's is q's
    print(
        f"ViSudo-PC {size}x{size} ({config.backend}), split {config.seed}: "
        f"test accuracy {run.accuracy:.3f} "
        f"({estimate} >= 1/2: {run.probability_accuracy:.3f}); supervised ceiling {ceiling:.3f}; "
        f"best validation epoch {run.best_epoch}; {run.seconds:.0f} s"
    )
    return {
        "accuracy": run.accuracy,
        "probability_accuracy": run.probability_accuracy,
        "supervised_ceiling": ceiling,
        "best_epoch": run.best_epoch,
        "seconds": run.seconds,
    }
