import numpy as np
import pytest

from nesy.errors import DataError
from solvers.edcr.conditions import (
    Conditions,
    prediction_conditions,
    read_conditions,
    threshold_conditions,
    write_conditions,
)


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_files_round_trip(tmp_path, suffix):
    rng = np.random.default_rng(0)
    c = threshold_conditions(rng.random((7, 2)), ["a", "b"], "bin_").concat(
        prediction_conditions(rng.integers(0, 2, 7), ["a", "b"], "sec=")
    )
    assert c.names[:4] == ("bin_a>0.95", "bin_a>0.98", "bin_a<0.05", "bin_a<0.02")
    write_conditions(tmp_path / f"c{suffix}", c)
    back = read_conditions(tmp_path / f"c{suffix}")
    assert back.names == c.names and (back.values == c.values).all()


def test_thresholds_are_strict():
    c = threshold_conditions(np.array([[0.95], [0.96], [0.05], [0.01]]), ["a"], "")
    assert c.column("a>0.95").tolist() == [False, True, False, False]
    assert c.column("a<0.05").tolist() == [False, False, False, True]


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(DataError, match="'a' is used twice"):
        Conditions(("a", "a"), np.zeros((1, 2)))
    with pytest.raises(DataError, match=r"shape \(n, 1\)"):
        Conditions(("a",), np.zeros((3, 2)))
    ragged = tmp_path / "r.csv"
    ragged.write_text("a,b\n1,0\n1\n")
    with pytest.raises(DataError, match="expected 2 values") as error:
        read_conditions(ragged)
    assert error.value.span.line == 3
    npz = tmp_path / "c.npz"
    np.savez(npz, values=np.full((2, 1), 2), names=np.array(["a"]))
    with pytest.raises(DataError, match="only 0 and 1"):
        read_conditions(npz)
    np.savez(npz, values=np.zeros((2, 1)))
    with pytest.raises(DataError, match="no array 'names'"):
        read_conditions(npz)
    with pytest.raises(DataError, match="expected .csv or .npz"):
        read_conditions(tmp_path / "c.parquet")
