"""MNIST addition of k-digit numbers with Pi-NeSy (ALGORITHMS.md A.8): the CNN learns from digit
labels, the rule parameters from intermediate labels, with thresholds chosen on validation data."""

from __future__ import annotations

import os
from typing import Any

from nesy.errors import ConfigError
from nesy.task import TaskConfig
from tasks.pinesy_results import write_result

__all__ = ["run_pinesy_addition"]


def run_pinesy_addition(config: TaskConfig, k: int) -> dict[str, Any]:
    """Train and test Pi-NeSy on k-digit addition; prints a summary and ``explain`` examples."""
    from tasks.mnist_addition.pinesy_protocol import evaluate_addition, train_digit_net
    from tasks.mnist_addition.pinesy_rules import explain

    if k < 1:
        raise ConfigError(f"digits per number must be at least 1; got {k}")
    options = config.options
    progress = config.progress and os.isatty(2)
    net, data = train_digit_net(
        config.seed, epochs=config.epochs or 20, test_dir=config.test_dir, progress=progress
    )
    figures, result, test = evaluate_addition(
        data, k, options["method"], seed=config.seed,
        use_thresholds=not options["no_thresholds"], progress=progress,
    )  # fmt: skip
    print(
        f"Pi-NeSy-{options['method']}, k={k}: accuracy {figures['accuracy']:.4f} on "
        f"{figures['test_examples']} test sums (ambiguous {figures['ambiguous_rate']:.4f}); "
        f"CNN digit accuracy {figures['cnn_digit_accuracy']:.4f}; rules learned in "
        f"{figures['learn_seconds']:.2f} s ({figures['search_seconds']:.1f} s threshold search); "
        f"inference {figures['inference_ms_per_example']:.3f} ms per sum; "
        f"{figures['nonzero_parameters']:.1%} of the rule parameters are above 0"
    )
    for example in range(min(options["explain"], figures["test_examples"])):
        truth = test.labels.y[example].flip(0).tolist()
        print(f"\ntest sum {example} (true sum {''.join(map(str, truth))}):")
        print(explain(result, example))
    write_result(config.out_dir, figures, {"cnn": net.state_dict(), "rules": result.params()})
    return figures
