"""DIMACS reading and writing, on hand-written text and on the SATLIB files in shared/data."""

from __future__ import annotations

import csv
import gzip
import lzma
from pathlib import Path

import pytest
from pysat.formula import CNF as PysatCNF
from pysat.solvers import Solver

from nesy.errors import DataError
from solvers.sat.cnf import CNF, satisfies
from solvers.sat.dimacs import format_dimacs, parse_dimacs, read_dimacs, write_dimacs

SATLIB = Path(__file__).resolve().parents[2].parent / "shared/data/satlib"
FAMILIES = ("uf20-91", "aim", "flat30-60")


def _solve(cnf: CNF) -> list[int] | None:
    """A model from CaDiCaL, or ``None`` when the formula is UNSAT."""
    with Solver(name="cadical195", bootstrap_with=cnf.clauses) as solver:
        return solver.get_model() if solver.solve() else None


def _manifest() -> list[dict[str, str]]:
    if not (SATLIB / "MANIFEST.tsv").exists():
        pytest.skip(f"no SATLIB data at {SATLIB}")
    with open(SATLIB / "MANIFEST.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        row["path"] = str(SATLIB / (row["file (xz-compressed as FILE.xz)"] + ".xz"))
    return rows


# --- writing and reading back ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "magic"), [("f.cnf", b"c "), ("f.cnf.gz", b"\x1f\x8b"), ("f.cnf.xz", b"\xfd7zXZ")]
)
def test_round_trip(tmp_path: Path, name: str, magic: bytes) -> None:
    cnf = CNF(5, ((1, -2, 3), (-5,), (), (4, 2)))
    path = write_dimacs(tmp_path / name, cnf, comments=["made by a test", "two\nlines"])
    assert path.read_bytes().startswith(magic)
    assert read_dimacs(path) == cnf
    assert read_dimacs(str(path)) == cnf
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind
    write_dimacs(path, cnf.with_clauses([(1,)]))  # overwrites
    assert read_dimacs(path).clauses == ((1,),)


def test_format_keeps_comments_on_comment_lines() -> None:
    text = format_dimacs(CNF(2, ((1, -2),)), comments=["a\nb", ""])
    assert text == "c a\nc b\nc\np cnf 2 1\n1 -2 0\n"
    assert parse_dimacs(text) == CNF(2, ((1, -2),))


def test_layout_is_free() -> None:
    # Clauses over several lines, several per line, tabs, CRLF, comments and blanks anywhere.
    text = "c hi\r\n\r\n  p cnf  4   3 \r\n1\t-2\r\nc between\r\n  3 0 -4 0\r\n\r\n2\r\n0\r\n"
    assert parse_dimacs(text) == CNF(4, ((1, -2, 3), (-4,), (2,)))


def test_satlib_trailer_is_not_a_clause() -> None:
    text = "c uf-style\np cnf 3 2\n 1 -2 3 0\n-1 2 0\n%\n0\n\n"
    cnf = parse_dimacs(text)
    assert cnf.clauses == ((1, -2, 3), (-1, 2))
    model = _solve(cnf)
    assert model is not None and satisfies(cnf, model)
    # Why we have our own reader: python-sat 1.9's C parser rejects the '%' token, its pure-Python
    # fallback (and older versions) turn the trailer into an empty clause, and declaring '%' a
    # comment still leaves the '0' line as an empty clause. Each way, the formula is lost or UNSAT.
    try:
        theirs = PysatCNF(from_string=text).clauses
    except ValueError:
        theirs = None
    assert theirs is None or [] in theirs
    assert [] in PysatCNF(from_string=text, comment_lead=["c", "%"]).clauses
    # Everything after the trailer is ignored, even what would not parse.
    assert parse_dimacs(text.replace("%\n0\n", " %\t\nx y\np cnf\n")) == cnf


def test_explicit_empty_clause_is_kept() -> None:
    cnf = parse_dimacs("p cnf 2 3\n1 2 0\n0\n-1 0\n")
    assert cnf.clauses == ((1, 2), (), (-1,))
    assert _solve(cnf) is None


# --- errors ---------------------------------------------------------------------------------

HEADER = "'p cnf VARS CLAUSES'"


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("", f"expected the header {HEADER}, found none", 1, 1),
        ("c only a comment\n", f"expected the header {HEADER}, found none", 2, 1),
        ("c x\n 1 2 0\np cnf 2 1\n", f"header {HEADER} before the first clause, found '1'", 2, 2),
        ("p cnf 2 1\n1 0\n  p cnf 2 1\n", "a second header; the first is on line 1", 3, 3),
        ("p cnf 2\n", "expected CLAUSES (a non-negative integer) in " + HEADER, 1, 8),
        ("p cnf 2\n", "found the end of the line", 1, 8),
        ("p dnf 2 1\n", f"malformed header: expected 'cnf' in {HEADER}, found 'dnf'", 1, 3),
        ("pcnf 2 1\n", "malformed header: expected 'p'", 1, 1),
        ("p cnf x 1\n", "expected VARS (a non-negative integer) in", 1, 7),
        ("p cnf 2 -1\n", "expected CLAUSES (a non-negative integer) in", 1, 9),
        ("p cnf 2 1 9\n1 0\n", "expected the end of the line, found '9'", 1, 11),
        ("p cnf 2 1\n1 x 0\n", "expected an integer literal, found 'x'", 2, 3),
        ("p cnf 2 1\n1\t+2 0\n", "expected an integer literal, found '+2'", 2, 3),
        ("p cnf 2 1\n1 2- 0\n", "expected an integer literal, found '2-'", 2, 3),
        ("p cnf 2 1\n1 - 0\n", "expected an integer literal, found '-'", 2, 3),
        ("p cnf 2 1\n1 1_0 0\n", "expected an integer literal, found '1_0'", 2, 3),
        ("p cnf 2 1\n\u0661 0\n", "expected an integer literal, found '\u0661'", 2, 1),
        ("p cnf 2 1\n1 c 0\n", "expected an integer literal, found 'c'", 2, 3),
        ("p cnf 2 1\n1\n -3 0\n", "literal -3: variable 3 exceeds the header's 2 variables", 3, 2),
        (
            "p cnf 2 1\n1 2\n\n",
            "expected 0 to end the last clause, found the end of the file",
            2,
            3,
        ),
        ("p cnf 2 1\n1 2\n%\n0\n", "found the SATLIB trailer '%' on line 3", 2, 3),
        (
            "p cnf 2 2\n1 2 0\n",
            "declares 2 clauses but the file has 1 (is the file truncated?)",
            1,
            9,
        ),
        ("p cnf 2 1\n1 0 2 0\n", "the header declares 1 clauses but the file has 2", 1, 9),
    ],
)
def test_errors_point_at_the_token(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(DataError) as error:
        parse_dimacs(text, source="f.cnf")
    assert message in error.value.message
    span = error.value.span
    assert (span.source, span.line, span.column) == ("f.cnf", line, column)
    assert str(error.value).startswith(f"f.cnf:{line}:{column}: ")


# --- numbers the solvers cannot hold ---------------------------------------------------------

LIMIT = "exceeds 2147483647 (2^31-1, the largest variable a SAT solver holds)"
HUGE = "9" * 5000  # past the 4300 digits int() converts


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        # python-sat cuts 4294967297 = 2^32 + 1 to 1, and answered UNSAT for this SAT formula
        (
            "p cnf 2 2\n4294967297 0\n-1 0\n",
            f"literal 4294967297: variable 4294967297 {LIMIT}",
            2,
            1,
        ),
        ("p cnf 3 1\n1 -2147483648 0\n", f"literal -2147483648: variable 2147483648 {LIMIT}", 2, 3),
        (
            "p cnf 4294967297 2\n4294967297 0\n-1 0\n",
            f"declares 4294967297 variables; that {LIMIT}",
            1,
            7,
        ),
        ("p cnf 2147483648 1\n1 0\n", f"declares 2147483648 variables; that {LIMIT}", 1, 7),
        (
            f"p cnf 2 1\n1 {HUGE} 0\n",
            "literal 99999999999999999999... (5000 characters): variable",
            2,
            3,
        ),
        (
            f"p cnf {HUGE} 1\n1 0\n",
            "declares 99999999999999999999... (5000 characters) variables",
            1,
            7,
        ),
        (
            f"p cnf 1 {HUGE}\n1 0\n",
            "declares 99999999999999999999... (5000 characters) clauses",
            1,
            9,
        ),
        ("p cnf -1 1\n1 0\n", "expected VARS (a non-negative integer) in", 1, 7),
    ],
)
def test_numbers_past_the_solvers_are_refused(text: str, message: str, line: int, column: int):
    with pytest.raises(DataError) as error:
        parse_dimacs(text, source="f.cnf")
    assert message in error.value.message
    span = error.value.span
    assert (span.source, span.line, span.column) == ("f.cnf", line, column)


def test_the_largest_variable_is_read() -> None:
    cnf = parse_dimacs("p cnf 2147483647 2\n-2147483647 1 0\n2147483647 0\n")
    assert cnf.clauses == ((-2147483647, 1), (2147483647,))


def test_no_truncation_hint_when_there_are_too_many_clauses() -> None:
    with pytest.raises(DataError) as error:
        parse_dimacs("p cnf 2 1\n1 0 2 0\n")
    assert "truncated" not in error.value.message


def test_read_errors_name_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cnf.gz"
    bad.write_bytes(gzip.compress(b"p cnf 1 1\n2 0\n"))
    with pytest.raises(DataError) as error:
        read_dimacs(bad)
    assert (error.value.span.source, error.value.span.line) == (str(bad), 2)
    assert str(error.value).startswith(f"{bad}:2:1: literal 2")
    corrupt = tmp_path / "corrupt.cnf.xz"
    corrupt.write_bytes(lzma.compress(b"p cnf 1 1\n1 0\n")[:-8])
    with pytest.raises(DataError, match="cannot decompress"):
        read_dimacs(corrupt)
    with pytest.raises(FileNotFoundError):
        read_dimacs(tmp_path / "missing.cnf")


def test_undecodable_bytes_in_comments_are_harmless(tmp_path: Path) -> None:
    path = tmp_path / "latin1.cnf"
    path.write_bytes(b"c Universit\xe4t Ulm\np cnf 1 1\n1 0\n")
    assert read_dimacs(path) == CNF(1, ((1,),))


# --- the SATLIB files -------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_satlib_family_reads_and_solves(family: str) -> None:
    rows = [row for row in _manifest() if row["family"] == family]
    assert rows
    for row in rows:
        cnf = read_dimacs(row["path"])
        assert (cnf.num_vars, cnf.num_clauses) == (int(row["n_vars"]), int(row["n_clauses"]))
        model = _solve(cnf)
        assert ("SAT" if model is not None else "UNSAT") == row["status"], row["path"]
        assert model is None or satisfies(cnf, model), row["path"]


def test_all_satlib_files_match_the_manifest() -> None:
    rows = _manifest()
    assert len(rows) == 859
    for row in rows:
        cnf = read_dimacs(row["path"])
        assert (cnf.num_vars, cnf.num_clauses) == (int(row["n_vars"]), int(row["n_clauses"]))
        assert () not in cnf.clauses, row["path"]  # no SATLIB instance has an empty clause
