"""benchmarks/ceiling_spread.py sets each seed against the others: one seed is a usage error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from ceiling_spread import parse_args  # noqa: E402  (a script beside its siblings)


@pytest.mark.parametrize("seeds", [["0"], ["3", "3"]])
def test_fewer_than_two_different_seeds_is_a_usage_error(seeds, capsys):
    with pytest.raises(SystemExit) as stop:
        parse_args(["--seeds", *seeds])
    assert stop.value.code == 2
    assert "--seeds needs at least two different seeds" in capsys.readouterr().err


def test_two_seeds_are_accepted():
    assert parse_args(["--seeds", "0", "1"]).seeds == [0, 1]
