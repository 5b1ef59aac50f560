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


def test_names_are_strings_before_they_are_compared():
    with pytest.raises(DataError, match="a name must be a string; got 1"):
        Conditions((1, "1"), np.zeros((1, 2)))  # str() made them one name, unnoticed


def test_a_csv_name_no_program_can_hold_is_refused_where_it_is(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b'ok,"a\rb"\n1,0\n')
    with pytest.raises(DataError, match=r"the condition name 'a\\rb' holds a carriage return"):
        read_conditions(path)
    with pytest.raises(DataError) as error:
        read_conditions(path)
    assert (error.value.span.line, error.value.span.column) == (1, 4)


def test_csv_lines_count_quoted_line_breaks(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('"two\nlines",b\n1,0\n0,2\n')
    with pytest.raises(DataError, match="expected 0 or 1 for 'b'; got '2'") as error:
        read_conditions(path)
    assert (error.value.span.line, error.value.span.column) == (4, 3)  # was line 3
    path.write_text('"two\nlines",b\n1,0\n')
    assert read_conditions(path).names == ("two\nlines", "b")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (np.array(["ok", "n\x00l"]), r"names\[1\] 'n\\x00l' holds a NUL character"),
        (np.array([b"a", b"b"]), r"'names' must be a 1-D array of strings; got \|S1"),
        (np.array([1, 2]), "'names' must be a 1-D array of strings; got int64"),
    ],
)
def test_npz_names_must_be_writable_strings(tmp_path, names, message):
    path = tmp_path / "c.npz"
    np.savez(path, values=np.zeros((1, 2)), names=names)  # bytes were read as "b'a'"
    with pytest.raises(DataError, match=message):
        read_conditions(path)


def test_unreadable_files_are_data_errors(tmp_path):
    torn = tmp_path / "c.npz"
    torn.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="not a conditions .npz file"):
        read_conditions(torn)
    pickled = tmp_path / "p.npz"
    np.savez(pickled, values=np.zeros((1, 1)), names=np.array([object()], dtype=object))
    with pytest.raises(DataError, match="not a conditions .npz file"):
        read_conditions(pickled)
    latin = tmp_path / "c.csv"
    latin.write_bytes(b"caf\xe9\n1\n")
    with pytest.raises(DataError, match="not UTF-8 text"):
        read_conditions(latin)


def test_no_conditions_round_trip(tmp_path):
    write_conditions(tmp_path / "c.npz", Conditions((), np.zeros((3, 0), bool)))
    assert read_conditions(tmp_path / "c.npz").values.shape == (3, 0)
