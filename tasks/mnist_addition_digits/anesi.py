"""N-digit MNIST addition with A-NeSI, on the whole-number program
(``programs/mnist_addition_numbers.nesy``) at the program's ``n`` or ``--digits``; the run folder
gets ``result.json`` besides the core's files."""

from __future__ import annotations

import argparse
import json
from typing import Any

from nesy.options import at_least, non_negative_float, positive_float
from nesy.task import TaskConfig, backend_options
from nesy.train.checkpoint import atomic_write_bytes

__all__ = ["DEFAULT_EPOCHS", "DEFAULT_SCHEDULE", "add_anesi_options", "run_anesi_task"]

#: ``--epochs`` when not given: enough for N <= 4 from a fresh network (benchmarks/README.md).
DEFAULT_EPOCHS = 30
#: ``--schedule`` when not given (the perception's; q's lr stays constant): annealing settles the
#: last epochs' digit accuracy, which N = 15 raises to the 30th power.
DEFAULT_SCHEDULE = "cosine"


def add_anesi_options(parser: argparse.ArgumentParser) -> None:
    group = backend_options(parser, "anesi", "A-NeSI, approximate")
    group.add_argument(
        "--anesi-samples",
        type=at_least(1),
        default=600,
        help="beliefs drawn from the prior per inference-model step (600)",
    )
    group.add_argument(
        "--anesi-hidden", type=at_least(1), default=256, help="hidden width of q's MLPs (256)"
    )
    group.add_argument(
        "--anesi-layers", type=at_least(1), default=2, help="hidden layers of q's MLPs (2)"
    )
    group.add_argument("--anesi-q-lr", type=positive_float, default=1e-3, help="q's Adam lr (1e-3)")
    group.add_argument(
        "--anesi-beam", type=at_least(1), default=10, help="beam of q's prediction (10)"
    )
    group.add_argument(
        "--anesi-warmup",
        type=at_least(0),
        default=2000,
        help="q's steps on the belief prior alone before the perception's first (2000)",
    )
    group.add_argument(
        "--anesi-msb-first",
        action="store_true",
        help="q predicts the sum's most significant digit first, as the paper does "
        "(default: least significant first, the order of written addition)",
    )
    group.add_argument(
        "--anesi-explain",
        action="store_true",
        help="train the explanation model q(w | y, P) with q by the joint matching loss "
        "(the paper's explain variant; default: q alone, predict-only)",
    )
    group.add_argument(
        "--anesi-prune",
        action="store_true",
        help="symbolic pruning of the explanations (implies --anesi-explain): each "
        "explanation of a sum then adds up to it",
    )
    group.add_argument(
        "--anesi-pseudo-labels",
        type=non_negative_float,
        default=0.0,
        metavar="WEIGHT",
        help="weight of a cross-entropy towards labels the program checks against the sum: "
        "the readings where they give it, else the one digit changed that gives it (not in the "
        "paper; for many digits: at N = 1 it can lock in a wrong reading; default 0: off)",
    )
    group.add_argument(
        "--anesi-relabel",
        action="store_true",
        help="then train a fresh network, as on digit labels, on the trained one's readings of "
        "the training digits that the sums confirm (same epochs, lr, schedule; "
        "benchmarks/notes/anesi.md)",
    )
    group.add_argument(
        "--anesi-symbolic",
        choices=("auto", "program", "sum"),
        default="auto",
        help="the symbolic function: the program run by clingo, the vectorised sum "
        "(checked against the program), or auto: the program up to 1,000 total choices",
    )


def run_anesi_task(config: TaskConfig) -> dict[str, Any]:
    from solvers.anesi.learner import AnesiConfig
    from tasks.mnist_addition_digits.anesi_addition import run_anesi_addition

    options = config.options
    anesi = AnesiConfig(
        samples=options["anesi_samples"],
        hidden=options["anesi_hidden"],
        layers=options["anesi_layers"],
        q_lr=options["anesi_q_lr"],
        perception_lr=config.lr if config.lr is not None else 1e-3,
        beam=options["anesi_beam"],
        warmup=options["anesi_warmup"],
        reverse=not options["anesi_msb_first"],
        explain=options["anesi_explain"] or options["anesi_prune"],
        prune=options["anesi_prune"],
        pseudo_labels=options["anesi_pseudo_labels"],
    )
    log = (lambda line: print(line, flush=True)) if config.progress else (lambda _: None)
    result = run_anesi_addition(
        config.program,
        digits=options["digits"],
        epochs=config.epochs or DEFAULT_EPOCHS,
        batch_size=config.batch_size,
        schedule=config.schedule or DEFAULT_SCHEDULE,
        seed=config.seed,
        config=anesi,
        symbolic=options["anesi_symbolic"],
        out_dir=config.out_dir,
        test_dir=config.test_dir,
        device=config.device,
        relabel=options["anesi_relabel"],
        log=log,
    )
    text = json.dumps(result, indent=2) + "\n"
    atomic_write_bytes(config.out_dir / "result.json", lambda f: f.write(text.encode()))
    print(
        f"A-NeSI, N={result['digits']}: sum accuracy {result['sum_accuracy']:.4f} "
        f"(symbolic prediction; q's own {result['neural_sum_accuracy']:.4f}) on "
        f"{result['test_examples']} test sums, digit accuracy "
        f"{result['digit_accuracy']:.4f}; {result['train_seconds']:.0f} s training"
    )
    if result["explanation_accuracy"] is not None:
        print(
            f"explanations of the true sums: every digit right on "
            f"{result['explanation_accuracy']:.4f} of the test sums"
        )
    if (again := result["relabelled"]) is not None:
        print(
            f"relabelled (a fresh network on {again['kept']:.1%} of the training digits' "
            f"readings): sum accuracy {again['sum_accuracy']:.4f}, digit accuracy "
            f"{again['digit_accuracy']:.4f}; {again['train_seconds']:.0f} s training"
        )
    return dict(result)
