"""A backend's own options given to a run that another backend trains are refused, naming
them, instead of being silently ignored."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from nesy.cli import main
from nesy.errors import ConfigError
from nesy.task import owned_options, refuse_ignored_options, tasks

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("program", "options", "named"),
    [
        ("mnist_addition_carry.nesy", ["--anesi-prune"], ["--anesi-prune (the anesi"]),
        (
            "visudo_4x4.nesy",
            ["--backend", "asp", "--anesi-encoding", "pairs", "--method", "2"],
            ["--anesi-encoding (the anesi", "--method (the possibilistic", "asp backend runs this"],
        ),
        ("mnist_addition.nesy", ["--backend", "exact", "--no-thresholds"], ["--no-thresholds"]),
    ],
)
def test_another_backend_s_option_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str, options: list[str], named
) -> None:
    out = tmp_path / "run"
    command = ["train", str(ROOT / "programs" / program), "--out", str(out), *options]
    assert main([*command, "--no-progress"]) == 1
    error = capsys.readouterr().err
    assert all(part in error for part in named), error
    assert not out.exists()


def _owned(task: str) -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser()
    tasks()[task].add_arguments(parser)
    return parser, owned_options(parser)


def test_the_options_of_the_backend_that_trains_and_defaults_pass() -> None:
    parser, owned = _owned("mnist-addition-digits")
    assert {owner for owner, _, _ in owned.values()} == {"anesi", "possibilistic"}
    assert "digits" not in owned  # the task's own option, whatever the backend
    given = vars(parser.parse_args(["--anesi-prune", "--anesi-samples", "600", "--digits", "3"]))
    refuse_ignored_options(given, owned, "anesi")
    refuse_ignored_options(vars(parser.parse_args(["--anesi-samples", "600"])), owned, "exact")
    with pytest.raises(ConfigError, match="--anesi-samples"):
        refuse_ignored_options(vars(parser.parse_args(["--anesi-samples", "60"])), owned, "exact")


def test_query_refuses_the_compile_budget_for_the_asp_backend(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """lawn.nesy has a choice rule, so auto picks the ASP backend, which compiles nothing: a
    bound on SDD nodes or ground rules would be ignored there; time and memory bound it too."""
    lawn = str(ROOT / "programs" / "lawn.nesy")
    assert main(["query", lawn, "--max-sdd-nodes", "10", "--max-ground-rules", "99"]) == 1
    error = capsys.readouterr().err
    assert "--max-sdd-nodes (the exact backend's), --max-ground-rules (the exact" in error
    assert "the asp backend runs this command and would ignore them" in error
    assert main(["query", lawn, "--backend", "asp", "--max-seconds", "30"]) == 0
    assert "wet" in capsys.readouterr().out
