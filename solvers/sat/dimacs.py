"""DIMACS CNF files: read (plain, ``.gz``, ``.xz``), write and format.

The reader follows the SATLIB files as they are: comment lines start with ``c``, the header
``p cnf VARS CLAUSES`` comes before any clause, a clause may span several lines and several
clauses may share a line; a clause ends at ``0``. Many SATLIB files end with a line ``%`` and a
line ``0``: that trailer is not a clause, and everything from a line that is exactly ``%`` on is
ignored (python-sat's own reader takes it for an empty clause, which makes every instance UNSAT).
A lone ``0`` anywhere else is a genuine empty clause and is kept.

Numbers are plain ASCII decimals (``-`` is the only sign), and nothing is allowed that could
change the formula unseen:

- a variable above :data:`~solvers.sat.cnf.MAX_VARIABLE` (``2**31 - 1``), in a literal or in
  the header's VARS, is refused: the solvers hold 32-bit signed literals, and ``4294967297``
  would wrap around to ``1``;
- a literal whose variable exceeds the header's VARS is refused, not taken as a larger count
  (some readers allow it): the header is then wrong, or the file is not the one meant, and
  either way the printed model would not cover the variables the header promised;
- a clause count other than the header's CLAUSES is refused (fewer usually means a cut-off
  file);
- a header VARS more than :data:`MAX_UNUSED_VARIABLES` above the largest variable the clauses
  use is refused: everything downstream (the solver, the network's graph, the printed model)
  is sized by VARS, so a 22-byte ``p cnf 100000000 1`` would otherwise take gigabytes.

:func:`read_dimacs` reads at most ``max_bytes`` (:data:`MAX_INPUT_BYTES` by default), after
decompression: a gzip or xz bomb, or ``/dev/zero``, is refused once that much has been read.

Errors are :class:`~nesy.errors.DataError` pointing at the line and column of the offending
token.
"""

from __future__ import annotations

import contextlib
import gzip
import lzma
import os
import re
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from nesy.errors import DataError
from nesy.span import Span
from nesy.train.checkpoint import atomic_write_bytes
from solvers.sat.cnf import CNF, MAX_VARIABLE

__all__ = [
    "parse_dimacs",
    "read_dimacs",
    "write_dimacs",
    "format_dimacs",
    "MAX_INPUT_BYTES",
    "MAX_UNUSED_VARIABLES",
]

#: The most bytes :func:`read_dimacs` reads (after decompression) unless told otherwise: parsing
#: takes about ten times the text's size in memory.
MAX_INPUT_BYTES = 256 * 2**20
#: How many variables a header may declare beyond the largest one its clauses use (unused
#: variables are legal DIMACS, and each costs memory in the solver and a literal in the model).
MAX_UNUSED_VARIABLES = 1_000_000

_HEADER = "'p cnf VARS CLAUSES'"
_HEADER_PARTS = (
    ("'p'", "p"),
    ("'cnf'", "cnf"),
    ("VARS (a non-negative integer)", "[0-9]+"),
    ("CLAUSES (a non-negative integer)", "[0-9]+"),
)
# Tokens are separated by ASCII blanks only; line-level patterns work on the whole text at once
# (re.M) so that the Python-level work is per clause, not per token or per line.
_TOKEN = re.compile(r"[^ \t\n\r\f\v]+")
_INTEGER = re.compile(r"-?[0-9]+")
# int() alone would also take '+1', '1_0' and non-ASCII digits, none of which is DIMACS.
_BAD_CHAR = re.compile(r"[^-0-9 \t\n\r\f\v]")
_TRAILER = re.compile(r"^[ \t\r\f\v]*%[ \t\r\f\v]*$", re.M)
_COMMENT = re.compile(r"^[ \t\r\f\v]*c[^\n]*", re.M)
_HEADER_LINE = re.compile(r"^[ \t\r\f\v]*p[^\n]*", re.M)
#: the decompressing openers of compressed files, by suffix
_DECOMPRESSORS: dict[str, Callable[[Path, Literal["rb"]], gzip.GzipFile | lzma.LZMAFile]] = {
    ".gz": gzip.open,
    ".xz": lzma.open,
}
# Longer decimals than this (leading zeros aside) exceed MAX_VARIABLE; checking the length first
# keeps int() off digit strings past Python's conversion limit (4300 digits).
_DIGITS = len(str(MAX_VARIABLE))
_LIMIT = f"{MAX_VARIABLE} (2^31-1, the largest variable a SAT solver holds)"


def _magnitude(token: str) -> int | None:
    """``abs(int(token))`` for a token matching ``_INTEGER``; ``None`` when it is far too large
    to matter (more digits than ``MAX_VARIABLE``)."""
    digits = token.lstrip("-").lstrip("0")
    return int(digits or "0") if len(digits) <= _DIGITS else None


def _shown(token: str) -> str:
    """A token as messages quote it: cut short when long (a 5000-digit literal, say)."""
    return token if len(token) <= 24 else f"{token[:20]}... ({len(token)} characters)"


def _too_large(token: str, limit: int) -> bool:
    magnitude = _magnitude(token)
    return magnitude is None or magnitude > limit


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _error(message: str, text: str, source: str, pos: int, token: str = "") -> DataError:
    """An error at offset ``pos`` of ``text``, spanning ``token``; it carries ``text``, so that it
    renders with its line even when the file on disk is compressed."""
    line = _line_of(text, pos)
    column = pos - text.rfind("\n", 0, pos)
    span = Span(source, line, column, line, column + max(len(token), 1))
    return DataError(message, span, source_text=text)


def parse_dimacs(text: str, source: str = "<string>") -> CNF:
    """Parse DIMACS CNF text.

    Parameters
    ----------
    text
        The file's contents.
    source
        The name errors point at (a path, or ``<string>``).

    Raises
    ------
    DataError
        A missing, repeated or malformed header; a token that is not an integer; a variable
        above ``2**31 - 1`` (in the header or a literal) or a literal whose variable exceeds the
        header's count; a last clause without its ``0``; or a clause count that disagrees with
        the header's.

    Examples
    --------
    >>> cnf = parse_dimacs("c example\\np cnf 3 2\\n1 -2\\n 0 2 3 0\\n%\\n0\\n")
    >>> cnf.num_vars, cnf.clauses
    (3, ((1, -2), (2, 3)))
    """
    ending = "the end of the file"
    trailer = _TRAILER.search(text)
    if trailer is not None:
        ending = f"the SATLIB trailer '%' on line {_line_of(text, trailer.start())}"
        text = text[: trailer.start()]
    # Blank out comments with spaces rather than deleting them: every offset stays the same, so
    # errors still point into the original text.
    text = _COMMENT.sub(lambda m: " " * len(m.group()), text)
    headers = _HEADER_LINE.finditer(text)
    header = next(headers, None)
    first = _TOKEN.search(text, 0, len(text) if header is None else header.start())
    if first is not None:
        message = (
            f"expected the header {_HEADER} before the first clause, found '{_shown(first[0])}'"
        )
        raise _error(message, text, source, first.start(), first[0])
    if header is None:
        raise _error(f"expected the header {_HEADER}, found none", text, source, len(text))
    again = next(headers, None)
    if again is not None:
        message = f"a second header; the first is on line {_line_of(text, header.start())}"
        p = _TOKEN.search(text, again.start())
        assert p is not None  # the second header line's 'p'
        raise _error(message, text, source, p.start(), "p")
    num_vars, num_clauses, count = _parse_header(text, header, source)

    bad = _BAD_CHAR.search(text, header.end())
    try:
        if bad is not None:
            raise ValueError
        literals = list(map(int, text[header.end() :].split()))
    except ValueError:  # '+1', 'x', '-', '1-2', or digits past int()'s limit: off the fast path
        tokens = list(_TOKEN.finditer(text, header.end()))
        token = next((m for m in tokens if not _INTEGER.fullmatch(m[0])), None)
        if token is None:  # every token is an integer: one is too long for int()
            token = next(m for m in tokens if _magnitude(m[0]) is None)
            raise _literal_error(token, num_vars, text, source) from None
        message = f"expected an integer literal, found '{_shown(token[0])}'"
        raise _error(message, text, source, token.start(), token[0]) from None
    largest = max(max(literals), -min(literals)) if literals else 0
    if largest > num_vars:
        token = next(m for m in _TOKEN.finditer(text, header.end()) if _too_large(m[0], num_vars))
        raise _literal_error(token, num_vars, text, source)
    if num_vars - largest > MAX_UNUSED_VARIABLES:
        variables = list(_TOKEN.finditer(text, header.start(), header.end()))[2]
        message = (
            f"the header declares {num_vars} variables but the clauses use only "
            f"{largest}; at most {MAX_UNUSED_VARIABLES:,} unused variables are allowed"
        )
        raise _error(message, text, source, variables.start(), variables[0])

    # Cut at the zeros with list.index (C speed): the Python work is per clause, not per literal.
    clauses: list[tuple[int, ...]] = []
    start = 0
    find = literals.index
    with contextlib.suppress(ValueError):  # no zero left
        while True:
            end = find(0, start)
            clauses.append(tuple(literals[start:end]))
            start = end + 1
    if start < len(literals):
        last = text.rstrip()
        pos = max(last.rfind(blank) for blank in " \t\n\r\f\v") + 1
        message = f"expected 0 to end the last clause, found {ending}"
        raise _error(message, text, source, pos, last[pos:])
    if num_clauses is None or len(clauses) != num_clauses:
        # SATLIB files are consistent: fewer clauses than declared usually means a cut-off file.
        short = num_clauses is None or len(clauses) < num_clauses
        hint = " (is the file truncated?)" if short else ""
        message = (
            f"the header declares {_shown(count[0])} clauses but the file has {len(clauses)}{hint}"
        )
        raise _error(message, text, source, count.start(), count[0])
    return CNF(num_vars, tuple(clauses))


def _literal_error(token: re.Match[str], num_vars: int, text: str, source: str) -> DataError:
    """The error for a literal whose variable is above the header's count or the solvers'."""
    literal, variable = _shown(token[0]), _shown(token[0].lstrip("-"))
    limit = _LIMIT if _too_large(token[0], MAX_VARIABLE) else f"the header's {num_vars} variables"
    message = f"literal {literal}: variable {variable} exceeds {limit}"
    return _error(message, text, source, token.start(), token[0])


def _parse_header(
    text: str, line: re.Match[str], source: str
) -> tuple[int, int | None, re.Match[str]]:
    """``(vars, clauses, the clauses token)`` from a ``p cnf VARS CLAUSES`` line; ``clauses``
    is ``None`` when it has more digits than any file could have clauses."""
    tokens = list(_TOKEN.finditer(text, line.start(), line.end()))
    for i, (want, pattern) in enumerate(_HEADER_PARTS):
        if i == len(tokens):
            message = f"malformed header: expected {want} in {_HEADER}, found the end of the line"
            raise _error(message, text, source, len(text[: line.end()].rstrip()))
        if not re.fullmatch(pattern, tokens[i][0]):
            message = (
                f"malformed header: expected {want} in {_HEADER}, found '{_shown(tokens[i][0])}'"
            )
            raise _error(message, text, source, tokens[i].start(), tokens[i][0])
    if len(tokens) > 4:
        message = f"malformed header: expected the end of the line, found '{_shown(tokens[4][0])}'"
        raise _error(message, text, source, tokens[4].start(), tokens[4][0])
    variables, num_vars = tokens[2], _magnitude(tokens[2][0])
    if num_vars is None or num_vars > MAX_VARIABLE:
        message = f"the header declares {_shown(variables[0])} variables; that exceeds {_LIMIT}"
        raise _error(message, text, source, variables.start(), variables[0])
    return num_vars, _magnitude(tokens[3][0]), tokens[3]


def read_dimacs(path: str | os.PathLike[str], max_bytes: int = MAX_INPUT_BYTES) -> CNF:
    """Read a DIMACS CNF file; ``.gz`` and ``.xz`` are decompressed (by suffix).

    Text is decoded as UTF-8, undecodable bytes replaced (they can only be in comments of a valid
    file). Errors name ``path`` as their source; a missing file raises ``FileNotFoundError``.

    Raises
    ------
    DataError
        A folder; a corrupt compressed file; more than ``max_bytes`` bytes (decompressed); or
        anything :func:`parse_dimacs` refuses.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: a folder, not a DIMACS file")
    decompress = _DECOMPRESSORS.get(path.suffix.lower())
    try:
        with open(path, "rb") if decompress is None else decompress(path, "rb") as handle:
            # One byte more than allowed tells "exactly at the bound" from "over it", and the
            # decompressor never produces more than is asked for.
            data = handle.read(max_bytes + 1)
    except (EOFError, lzma.LZMAError, gzip.BadGzipFile, zlib.error) as error:  # corrupt, cut
        raise DataError(f"{path}: cannot decompress: {error}") from error
    if len(data) > max_bytes:
        unpacked = " once decompressed" if decompress is not None else ""
        raise DataError(
            f"{path}: more than {max_bytes:,} bytes{unpacked} (--max-input-mb raises the bound)"
        )
    return parse_dimacs(data.decode("utf-8", errors="replace"), str(path))


def format_dimacs(cnf: CNF, comments: Iterable[str] = ()) -> str:
    """DIMACS text: ``c`` comment lines, the header, then one clause per line.

    Examples
    --------
    >>> print(format_dimacs(CNF(2, ((1, -2), ())), ["two clauses"]), end="")
    c two clauses
    p cnf 2 2
    1 -2 0
    0
    """
    # A comment with a line break would otherwise put its second line outside the comment.
    out = [f"c {part}".rstrip() for comment in comments for part in comment.splitlines() or [""]]
    out.append(f"p cnf {cnf.num_vars} {cnf.num_clauses}")
    out.extend(" ".join([*map(str, clause), "0"]) for clause in cnf.clauses)
    return "\n".join(out) + "\n"


def write_dimacs(path: str | os.PathLike[str], cnf: CNF, comments: Iterable[str] = ()) -> Path:
    """Write ``cnf`` as DIMACS atomically; ``.gz`` and ``.xz`` are compressed (by suffix)."""
    path = Path(path)
    data = format_dimacs(cnf, comments).encode("utf-8")
    suffix = path.suffix.lower()
    if suffix == ".gz":
        data = gzip.compress(data, mtime=0)  # mtime=0: the same formula gives the same bytes
    elif suffix == ".xz":
        data = lzma.compress(data)
    return atomic_write_bytes(path, lambda handle: handle.write(data))
