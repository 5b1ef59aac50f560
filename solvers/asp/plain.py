"""Plain ASP programs: what clingo's own parser accepts is solved by clingo as written.

nesy's probabilistic annotations (``0.3::a.``, ``nn(...) :: ...``) are not clingo syntax, so a
program that clingo's parser accepts has none: its one total choice is the empty one, and each of
its ``N`` stable models has NeurASP probability ``1 / N``. ``nesy solve`` then hands the program
to clingo unchanged (through clingo's AST, so that nothing in it is executed), with clingo's
default options: the models are clingo's, ``#show`` included, and an optimisation program's
answer is clingo's optimum. ``query(...)`` and ``evidence(...)`` are ordinary atoms here.

``#include "f.lp".`` is resolved relative to the including file; ``#script`` is refused, since
running code that arrives with a program is not nesy's to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import clingo
from clingo import ast

from nesy.errors import GroundingError, NesyError, NesySyntaxError, NesyTypeError
from nesy.lang.source_file import read_program
from nesy.span import Span
from nesy.timer import call_at
from solvers.asp.solve_options import solve_options

__all__ = [
    "COUNT_LIMIT",
    "ClingoSyntaxError",
    "PlainModel",
    "PlainProgram",
    "PlainResult",
    "conflict",
    "parse_plain",
    "solve_plain",
]

#: Stable models counted (beyond those printed) to give each its probability 1/N; past it the
#: probability is not known (``None``, JSON ``null``).
COUNT_LIMIT = 100

# clingo's messages start with "file:line:col[-[line:]col]: severity: "; notes inside them too.
_POSITION = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)(?:-(?:(?P<eline>\d+):)?(?P<ecol>\d+))?: ",
    re.MULTILINE,
)
_SEVERITY = re.compile(r"(?:error|warning|info): ")
_INCMODE = re.compile(r"#include\s*<\s*incmode\s*>")


class ClingoSyntaxError(NesySyntaxError):
    """clingo's parser rejects the text (so it may be a program in nesy's own language)."""


@dataclass(frozen=True)
class PlainProgram:
    """A program clingo's parser accepts: its statements (clingo AST, ``#include`` expanded)."""

    statements: tuple[ast.AST, ...]
    source: str  # the first file, as the user named it
    names: dict[str, str]  # clingo's name of each file -> the name to show

    @property
    def optimises(self) -> bool:
        """Whether it has weak constraints, ``#minimize`` or ``#maximize``."""
        return any(s.ast_type == ast.ASTType.Minimize for s in self.statements)


@dataclass(frozen=True)
class PlainModel:
    """A model as clingo shows it; ``cost`` is clingo's cost vector (optimisation only)."""

    atoms: tuple[str, ...]
    cost: tuple[int, ...] | None = None


@dataclass(frozen=True)
class PlainResult:
    """The models asked for, and how many stable models the program has (``None``: more than
    :data:`COUNT_LIMIT`, not counted)."""

    models: tuple[PlainModel, ...]
    count: int | None
    #: False when the deadline stopped clingo: ``models`` are those found by then (an
    #: optimisation's last one is not proven optimal) and ``count`` is ``None``
    complete: bool = True

    @property
    def probability(self) -> float | None:
        """Every stable model's probability: ``1 / N`` (the empty total choice, shared)."""
        return 1.0 / self.count if self.count else None


Log = Callable[[str], None]


def _ignore(_: str) -> None:
    """The default warning hook: drop them."""


def parse_plain(paths: Sequence[Path], log: Log = _ignore) -> PlainProgram:
    """Parse files with clingo's parser, as one program.

    The working directory is changed while clingo parses (see ``_empty_working_directory``),
    so this is not for threads that rely on it.

    Raises
    ------
    ClingoSyntaxError
        clingo's parser rejects a file (or cannot open an ``#include``'d one).
    NesyTypeError
        The program embeds a ``#script``, or asks for clingo's incremental mode.
    """
    for path in paths:  # unreadable files get nesy's usual message, not clingo's
        if not Path(path).exists():
            raise NesyError(f"cannot read program file {str(path)!r}: no such file")
        if not Path(path).is_file():  # a pipe could not be read again by nesy's parser
            raise NesyError(
                f"cannot read program file {str(path)!r}: not a regular file (nesy solve may "
                "read a file twice: save it to a file first)"
            )
        _check_readable(Path(path))
    names = {os.path.abspath(p): str(p) for p in paths}
    statements: list[ast.AST] = []
    errors: list[str] = []
    logger = _Logger(names, log, errors)
    try:
        with _empty_working_directory():
            ast.parse_files(list(names), statements.append, logger=logger)
    except RuntimeError as exc:
        first = errors[0] if errors else str(exc)
        located = _locate(first, names)
        if located is None:
            raise ClingoSyntaxError(first.strip()) from exc
        raise ClingoSyntaxError(located[1], located[0]) from exc
    program = PlainProgram(tuple(statements), str(paths[0]), names)
    _refuse_scripts(program)
    _refuse_incremental_mode(program)
    return program


_INCLUDE = re.compile(r'#include\s*"([^"\n]*)"\s*\.')


def _check_readable(path: Path, seen: set[Path] | None = None) -> None:
    """``path`` and the files it ``#include``s (as clingo finds them from an empty working
    directory) are UTF-8 text: clingo aborts the whole process on a message that quotes bytes
    that are not. A file clingo cannot open is left to clingo's own error."""
    seen = set() if seen is None else seen
    if path in seen or not path.is_file():
        return
    seen.add(path)
    for name in _INCLUDE.findall(read_program(path)):
        _check_readable((path.parent / name).resolve(), seen)


@contextlib.contextmanager
def _empty_working_directory() -> Iterator[None]:
    """clingo looks for an ``#include``'d file in the working directory first, then next to
    the including file; from an empty directory only the including file's directory is left."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as empty:
        os.chdir(empty)
        try:
            yield
        finally:
            os.chdir(here)


def _refuse_scripts(program: PlainProgram) -> None:
    for statement in program.statements:
        if statement.ast_type == ast.ASTType.Script:
            raise NesyTypeError(
                "#script: nesy does not run embedded scripts; remove the #script ... #end "
                "block (or run the program with clingo itself)",
                _span(statement.location, program.names),
            )


def _refuse_incremental_mode(program: PlainProgram) -> None:
    """clingo's parser takes ``#include <incmode>.`` as a switch, not statements: solving the
    base part alone would be a wrong answer, so it is looked for in the text."""
    for name in {s.location.begin.filename for s in program.statements} | set(program.names):
        text = Path(name).read_text(encoding="utf-8", errors="replace")
        for found in _INCMODE.finditer(text):
            if "%" in text[text.rfind("\n", 0, found.start()) + 1 : found.start()]:
                continue  # commented out
            line = text.count("\n", 0, found.start()) + 1
            column = found.start() - text.rfind("\n", 0, found.start())
            raise NesyTypeError(
                "#include <incmode>: nesy solve grounds and solves once; clingo's incremental "
                "mode needs clingo itself",
                Span(_display(name, program.names), line, column, line, column),
            )


def solve_plain(
    program: PlainProgram,
    *,
    all_models: bool = False,
    limit: int = 0,
    log: Log = _ignore,
    deadline: float | None = None,
) -> PlainResult:
    """clingo's models of a plain program, with clingo's default options.

    Without ``all_models``: clingo's first model, or for an optimisation program its optimum.
    With it: every model (every optimal model), or the first ``limit`` (0: no limit). The
    stable models are counted up to :data:`COUNT_LIMIT` beyond those returned. At ``deadline``
    (``time.monotonic()``) clingo's search is interrupted and the result is what it had found
    (``complete`` false); grounding itself cannot be interrupted.
    """
    control = _ground(program, log)
    with call_at(deadline, control.interrupt) as stopped:  # clingo's interrupt is thread-safe
        if program.optimises:
            models = _optimal(control, all_models, limit)
            count = _count(control, COUNT_LIMIT + 1) if models and not stopped.is_set() else 0
            if stopped.is_set():
                return PlainResult(tuple(models), None, complete=False)
            return PlainResult(tuple(models), count)
        wanted = (limit if all_models else 1) or None  # None: every model
        result = _first(control, wanted)
    if stopped.is_set():
        return PlainResult(result.models, None, complete=False)
    return result


def _ground(program: PlainProgram, log: Log) -> clingo.Control:
    errors: list[str] = []
    control = clingo.Control(logger=_Logger(program.names, log, errors))
    try:
        with ast.ProgramBuilder(control) as builder:
            for statement in program.statements:
                builder.add(statement)
        control.ground([("base", [])])
    except RuntimeError as exc:
        located = _locate(errors[0], program.names) if errors else None
        if located is None:
            detail = "; ".join(errors) or str(exc)
            raise GroundingError(f"clingo could not ground {program.source}: {detail}") from exc
        raise GroundingError(located[1], located[0]) from exc
    return control


def _first(control: clingo.Control, wanted: int | None) -> PlainResult:
    """The first ``wanted`` models (``None``: all), counting on up to COUNT_LIMIT + 1."""
    bound = 0 if wanted is None else max(wanted, COUNT_LIMIT + 1)
    solve_options(control).models = str(bound)
    models: list[PlainModel] = []
    seen = 0
    with control.solve(yield_=True) as handle:
        for model in handle:
            seen += 1
            if wanted is None or len(models) < wanted:
                models.append(PlainModel(_atoms(model)))
    count = seen if bound == 0 or seen < bound else None
    return PlainResult(tuple(models), count)


def _optimal(control: clingo.Control, all_models: bool, limit: int) -> list[PlainModel]:
    """clingo's optimum; with ``all_models`` every optimal model (``limit`` of them)."""
    solve = solve_options(control)
    solve.opt_mode = "optN" if all_models else "opt"
    solve.models = str(limit if all_models else 0)
    found: list[PlainModel] = []
    with control.solve(yield_=True) as handle:
        for model in handle:
            # optN first converges (models not proven optimal), then lists the optimal ones;
            # opt converges only, and its last model is optimal once the search is exhausted
            if all_models and not model.optimality_proven:
                continue
            found.append(PlainModel(_atoms(model), tuple(model.cost)))
    return found if all_models else found[-1:]


def _count(control: clingo.Control, bound: int) -> int | None:
    """The number of stable models (weak constraints ignored), or ``None`` if it is ``bound``
    or more."""
    solve = solve_options(control)
    solve.opt_mode = "ignore"
    solve.models = str(bound)
    seen = 0
    with control.solve(yield_=True) as handle:
        for _ in handle:
            seen += 1
    return seen if seen < bound else None


def _atoms(model: clingo.Model) -> tuple[str, ...]:
    """What clingo prints for a model: its shown symbols, in clingo's order."""
    return tuple(str(s) for s in model.symbols(shown=True))


def conflict(program: PlainProgram) -> list[tuple[Span, str]]:
    """Where the integrity constraints (and bounded choices) that leave the program without a
    stable model are, with their text; empty when no constraint is to blame."""
    from solvers.asp.unsat import conflicting_rules  # nesy's grounder: only without a model

    found = conflicting_rules(program.statements)
    return [(_span(s.location, program.names), _text(s)) for s in found]


def _text(statement: ast.AST) -> str:
    """The statement as written (one line), or as clingo prints it."""
    begin, end = statement.location.begin, statement.location.end
    try:
        lines = Path(begin.filename).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return str(statement)
    if begin.filename != end.filename or not 0 < begin.line <= end.line <= len(lines):
        return str(statement)
    chunk = lines[begin.line - 1 : end.line]
    chunk[-1] = chunk[-1][: end.column - 1]
    chunk[0] = chunk[0][begin.column - 1 :]
    return " ".join(" ".join(chunk).split())


class _Logger:
    """clingo's messages: errors kept for the exception, the rest sent on as warnings in the
    ``file:line:col: warning: text`` form, with the user's file names."""

    def __init__(self, names: dict[str, str], log: Log, errors: list[str]) -> None:
        self.names, self.log, self.errors = names, log, errors

    def __call__(self, code: clingo.MessageCode, message: str) -> None:
        if code == clingo.MessageCode.RuntimeError:
            self.errors.append(message)
            return
        located = _locate(message, self.names)
        if located is None:
            self.log(f"warning: {message.strip()}")
        else:
            self.log(f"{located[0]}: warning: {located[1]}")


def _locate(message: str, names: dict[str, str]) -> tuple[Span, str] | None:
    """The position a clingo message starts with, and its text (severity dropped, the user's
    file names in the notes)."""
    message = message.strip()
    found = _POSITION.match(message)
    if found is None:
        return None
    line, column = int(found["line"]), int(found["col"])
    end_line, end_column = int(found["eline"] or line), int(found["ecol"] or column)
    span = Span(_display(found["file"], names), line, column, end_line, end_column)
    text = _SEVERITY.sub("", message[found.end() :], count=1)
    text = _POSITION.sub(lambda m: f"{_display(m['file'], names)}:{m['line']}:{m['col']}: ", text)
    return span, text


def _display(name: str, names: dict[str, str]) -> str:
    """A file as the user named it; an included one relative to the working directory."""
    if name in names:
        return names[name]
    if name.startswith("<") or not os.path.isabs(name):
        return name
    relative = os.path.relpath(name)
    return name if relative.startswith("..") else relative


def _span(location: ast.Location, names: dict[str, str]) -> Span:
    begin, end = location.begin, location.end
    return Span(_display(begin.filename, names), begin.line, begin.column, end.line, end.column)
