"""Hostile input: every `nesy` command given malformed, enormous or adversarial input ends with a
clean error or a correct answer, within its time bound and a memory bound.

Protocol: the inputs are generated into a temporary folder at run time (decompression bombs,
2^31 literals, 10,000-deep terms, 5,000-digit numbers, non-UTF-8 bytes, folders named as files,
checkpoints whose config asks for absurd networks, dense programs, ...); each case runs the
`nesy` command of the venv as a subprocess under `ulimit -v 8 GB`, with one torch thread, and
its wall time and peak resident memory (GNU time's %M: a child forked from this script would
report this script's own memory as its peak) are measured. A case passes
when there is no traceback, no abort or kill, the exit code is what it expects (an error: a
non-zero exit whose first stderr line is `nesy: error: ...`, most with a file:line:col, or
argparse's own `error: argument ...`; an answer: exit 0, or 10/20 for SAT verdicts), the wall
time is within 1.1x its bound (commands with a --timeout or --max-seconds have that as bound),
and the peak memory within its bound. Ctrl-C cases get SIGINT after 4 s and expect exit 130 with
one stderr line; closed-pipe cases expect no broken-pipe noise. Budgets are smaller than the
ones of the first hostile-input review (60 s timeouts became 10 s) to keep a run near 5 minutes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from nesy.train.checkpoint import atomic_write_bytes

REPO = Path(__file__).resolve().parents[1]
NESY = str(Path(sys.executable).parent / "nesy")
_MB = 2**20
#: bytes a decompression bomb expands to: past every reader's bound (256 MiB for DIMACS)
_BOMB_BYTES = 300 * _MB


@dataclass(frozen=True)
class Case:
    """``command`` (a shell line; ``{IN}`` is the input folder, ``{NESY}`` the command) with its
    time bound in seconds, what passes (``error``, ``ok``: 0/10/20, ``ok0``: 0, ``sigint``,
    ``pipe``; several joined by ``|``) and its peak-memory bound in MB."""

    name: str
    command: str
    seconds: float
    expect: str
    memory_mb: int


def _sat_cases() -> list[Case]:
    solve = "{NESY} sat solve"
    train = "{NESY} sat train --pairs 4 --val-pairs 2 --d 4 --rounds 2 --epochs 1"
    return [
        Case("dimacs huge header none", f"{solve} {{IN}}/huge_header.cnf", 20, "error|ok", 1500),
        Case(
            "dimacs huge header phases",
            f"{solve} --guide phases {{IN}}/huge_header.cnf",
            20,
            "error|ok",
            1500,
        ),
        Case(
            "dimacs huge header rcore",
            f"{solve} --guide random-core {{IN}}/huge_header.cnf",
            20,
            "error|ok",
            1500,
        ),
        Case("dimacs lit 2^31", f"{solve} {{IN}}/lit31.cnf", 10, "error", 1000),
        Case("gzip bomb", f"{solve} {{IN}}/bomb.cnf.gz", 30, "error", 1500),
        Case("xz bomb", f"{solve} {{IN}}/bomb.cnf.xz", 30, "error", 1500),
        Case("/dev/zero", f"{solve} /dev/zero", 30, "error", 1500),
        Case("dimacs dir", f"{solve} {{IN}}/adir.cnf", 10, "error", 1000),
        Case("dimacs nonutf8", f"{solve} {{IN}}/nonutf8.cnf", 10, "error", 1000),
        Case(
            "ckpt d=40000",
            f"{solve} --guide phases --model {{IN}}/d40000.pt {{IN}}/small.cnf",
            20,
            "error",
            1500,
        ),
        Case(
            "ckpt rounds 1e9",
            f"{solve} --guide phases --model {{IN}}/rounds_huge.pt --timeout 5 {{IN}}/small.cnf",
            5,
            "error|ok0",
            1500,
        ),
        Case(
            "ckpt layers 1e5",
            f"{solve} --guide phases --model {{IN}}/layers_huge.pt {{IN}}/small.cnf",
            20,
            "error",
            1500,
        ),
        Case(
            "sat timeout network",
            f"{solve} --guide phases --rounds 100000 --timeout 5 {{IN}}/small.cnf",
            5,
            "ok0",
            1500,
        ),
        Case(
            "sat bench timeout network",
            "{NESY} sat bench --guides phases --rounds 100000 --timeout 5 {IN}/small.cnf",
            10,
            "ok|error",
            1500,
        ),
        Case("sat neg seed", f"{solve} --seed -1 {{IN}}/small.cnf", 10, "error", 1000),
        Case("sat train lr nan", "{NESY} sat train --lr nan --out {OUT}/m.pt", 10, "error", 1000),
        Case(
            "sat train neg seed", "{NESY} sat train --seed -3 --out {OUT}/m.pt", 10, "error", 1000
        ),
        Case("sat train out under file", f"{train} --out {{IN}}/notafile/m.pt", 20, "error", 1500),
        Case("sat train out is dir", f"{train} --out {{IN}}/adir.cnf", 20, "error", 1500),
        Case(
            "sat generate out is file",
            "{NESY} sat generate --pairs 2 {IN}/notafile",
            10,
            "error",
            1000,
        ),
        Case("sat closed pipe", f"{solve} {{IN}}/manyvars.cnf | head -1", 30, "pipe", 2000),
        Case(
            "sat phases big formula",
            f"{solve} --guide phases {{IN}}/manyvars.cnf",
            10,
            "error",
            1500,
        ),
        Case(
            "sat model is dir",
            f"{solve} --guide phases --model {{IN}}/adir.cnf {{IN}}/small.cnf",
            10,
            "error",
            1500,
        ),
    ]


def _query_cases() -> list[Case]:
    query = "{NESY} query"
    files = {
        "nesy query dir": ("adir.nesy", "error"),
        "nesy query nonutf8": ("nonutf8.nesy", "error"),
        "nesy query nonutf8 pl": ("nonutf8.pl", "error"),
        "nested nesy": ("nested.nesy", "error"),
        "nested pl": ("nested.pl", "error|ok"),
        "nested list pl": ("nestedlist.pl", "error|ok"),
        "nested paren nesy": ("nestedparen.nesy", "error|ok"),
        "nested arith nesy": ("nestedarith.nesy", "error"),
        "nested arith pl": ("nestedarith.pl", "error|ok"),
        "bigint nesy": ("bigint.nesy", "error"),
        "bigint pl": ("bigint.pl", "error"),
        "bigprob nesy": ("bigprob.nesy", "error|ok"),
        "bigprob pl": ("bigprob.pl", "error"),
        "domain 1e11": ("domain.nesy", "error"),
        "interval 1e11": ("interval.nesy", "error"),
    }
    cases = [Case(n, f"{query} {{IN}}/{f}", 20, e, 1500) for n, (f, e) in files.items()]
    return cases + [
        Case(
            "dense query budget", f"{query} --max-seconds 5 {{IN}}/dense.nesy", 5, "error|ok", 3000
        ),
        Case("dense pl budget", f"{query} --max-seconds 5 {{IN}}/dense.pl", 5, "error|ok", 3000),
        Case("query closed pipe", f"{query} {{IN}}/big.nesy | head -1", 60, "pipe", 2000),
        Case("ctrl-c query", f"{query} {{IN}}/dense.nesy", 10, "sigint", 3000),
        Case("query /dev/zero", f"{query} --dialect nesy /dev/zero", 10, "error", 1000),
        Case(
            "query asp budget",
            f"{query} --max-seconds 4 {{IN}}/asp_dense.nesy",
            4,
            "error|ok",
            3000,
        ),
    ]


def _solve_cases() -> list[Case]:
    sudoku = str(REPO / "programs/sudoku.nesy")
    return [
        Case("nested solve", "{NESY} solve {IN}/nested.nesy", 20, "error", 1500),
        Case("bigint solve", "{NESY} solve {IN}/bigint.nesy", 10, "error", 1000),
        Case(
            "solve sudoku timeout", f"{{NESY}} solve --timeout 5 {sudoku}", 5, "ok|error|ok0", 2000
        ),
        Case(
            "solve dense timeout",
            "{NESY} solve --timeout 5 --all {IN}/dense.nesy",
            5,
            "ok|error|ok0",
            2000,
        ),
        Case("solve sudoku all", f"{{NESY}} solve --timeout 5 --all {sudoku}", 5, "ok0", 2000),
        Case(
            "solve sudoku all 10 s", f"{{NESY}} solve --timeout 10 --all {sudoku}", 10, "ok0", 2000
        ),
        Case(
            "solve dense all 10 s",
            "{NESY} solve --timeout 10 --all {IN}/dense.nesy",
            10,
            "ok0|error",
            2000,
        ),
        Case("solve big grounding", "{NESY} solve --timeout 3 {IN}/bigground.lp", 3, "error", 3000),
        Case("solve include nonutf8", "{NESY} solve {IN}/inc.lp", 10, "error", 1000),
        Case("solve nonutf8", "{NESY} solve {IN}/nonutf8.nesy", 10, "error", 1000),
        Case("solve /dev/zero", "{NESY} solve /dev/zero", 10, "error", 1000),
    ]


def _edcr_cases() -> list[Case]:
    learn = "{NESY} edcr learn --out {OUT}/r.json"
    arrays = {
        "edcr garbage npy": ("garbage.npy", "garbage.npy", "garbage.npz"),
        "edcr float npy": ("bad_npy.npy", "bad_npy.npy", "garbage.npz"),
        "edcr obj npy": ("obj.npy", "obj.npy", "garbage.npz"),
        "edcr garbage npz": ("p.npy", "p.npy", "garbage.npz"),
        "edcr dir": ("adir.cnf", "p.npy", "c.npz"),
        "edcr nonutf8 labels": ("nonutf8.cnf", "p.npy", "c.npz"),
        "edcr npz bomb": ("p.npy", "p.npy", "bomb.npz"),
        "edcr npy huge shape": ("hugeshape.npy", "p.npy", "c.npz"),
    }
    cases = [
        Case(
            name,
            f"{learn} --predictions {{IN}}/{p} --labels {{IN}}/{y} --conditions {{IN}}/{c}",
            20 if "bomb" in name else 10,
            "error",
            1500 if "bomb" in name else 1000,
        )
        for name, (p, y, c) in arrays.items()
    ]
    under_file = (
        "{NESY} edcr learn --predictions {IN}/p.npy --labels {IN}/p.npy --conditions {IN}/c.npz "
        "--out {IN}/notafile/r.json"
    )
    return [*cases, Case("edcr out under file", under_file, 10, "error", 1000)]


def _train_cases() -> list[Case]:
    program = str(REPO / "programs/mnist_addition.nesy")
    return [
        Case("train neg seed", f"{{NESY}} train {program} --seed -1 --epochs 1", 10, "error", 1000),
        Case("train lr nan", f"{{NESY}} train {program} --lr nan --epochs 1", 10, "error", 1000),
    ]


CASES = [*_sat_cases(), *_query_cases(), *_solve_cases(), *_edcr_cases(), *_train_cases()]


def _write_inputs(folder: Path, seed: int) -> None:
    """Every input the cases name, generated (nothing of this size belongs in git)."""
    text = {
        "huge_header.cnf": "p cnf 100000000 1\n1 0\n",
        "lit31.cnf": "p cnf 3 1\n2147483648 0\n",
        "small.cnf": "p cnf 3 2\n1 -2 0\n2 3 0\n",
        "manyvars.cnf": "p cnf 200000 200000\n" + "".join(f"{v} 0\n" for v in range(1, 200001)),
        "notafile": "x",
        "nested.nesy": "p(" + "f(" * 10000 + "a" + ")" * 10000 + ").\nquery(p(X)).\n",
        "nestedarith.nesy": "a :- X = " + "+".join(["1"] * 10000) + ".\nquery(a).\n",
        "nestedparen.nesy": "a :- X = " + "(" * 10000 + "1" + ")" * 10000 + ".\nquery(a).\n",
        "nestedlist.pl": "p(" + "[" * 10000 + "]" * 10000 + ").\nquery(p(X)).\n",
        "nestedarith.pl": "a :- X is " + "+".join(["1"] * 10000) + ".\nquery(a).\n",
        "bigint.nesy": "p(" + "9" * 5000 + ").\nquery(p(X)).\n",
        "bigprob.nesy": "0." + "9" * 5000 + "::p.\nquery(p).\n",
        "bigprob.pl": "9" * 5000 + ".5::p.\nquery(p).\n",
        "domain.nesy": "nn(net, [X], Y, [0..100000000000]) :: digit(X, Y).\n"
        "query(digit(tensor(a), Y)).\n",
        "interval.nesy": "0.5::p(1..100000000000).\nquery(p(1)).\n",
        "asp_dense.nesy": "0.5::e(1..60).\n{ x(I) } :- e(I).\nc(N) :- N = #count { I : x(I) }.\n"
        "query(c(30)).\n",
        "bigground.lp": "p(1..3000). q(X,Y) :- p(X), p(Y).\n",
        "inc.lp": '#include "nonutf8.nesy".\na.\n',
        "big.nesy": "".join(f"0.5::p({i}).\nquery(p({i})).\n" for i in range(20000)),
    }
    text["nested.pl"] = text["nested.nesy"]
    text["bigint.pl"] = text["bigint.nesy"]
    rng = random.Random(seed)  # a random graph of 30 nodes: path(0, 29) is a dense circuit
    edges = [
        f"0.5::edge({i},{j}).\n"
        for i in range(30)
        for j in range(30)
        if i != j and rng.random() < 0.45
    ]
    text["dense.nesy"] = "".join(edges) + (
        "path(X,Y) :- edge(X,Y).\npath(X,Y) :- edge(X,Z), path(Z,Y).\nquery(path(0,29)).\n"
    )
    text["dense.pl"] = text["dense.nesy"]
    for name, body in text.items():
        (folder / name).write_text(body)
    for name in ("nonutf8.nesy", "nonutf8.pl"):
        (folder / name).write_bytes(b"a :- b.\n\xff\xfe query(a).\n")
    (folder / "nonutf8.cnf").write_bytes(b"p cnf 1 1\n\xff 1 0\n")
    for name in ("adir.cnf", "adir.nesy"):
        (folder / name).mkdir()
    _write_bombs(folder)
    _write_arrays(folder)
    _write_checkpoints(folder)


def _write_bombs(folder: Path) -> None:
    chunk = b"0" * _MB
    with gzip.open(folder / "bomb.cnf.gz", "wb", compresslevel=1) as gz:
        for _ in range(_BOMB_BYTES // _MB):
            gz.write(chunk)
    with lzma.open(folder / "bomb.cnf.xz", "wb", preset=0) as xz:
        for _ in range(_BOMB_BYTES // _MB):
            xz.write(chunk)


def _write_arrays(folder: Path) -> None:
    np.save(folder / "p.npy", np.array([0, 1, 0, 1, 1]))
    np.save(folder / "bad_npy.npy", np.zeros(3))
    np.save(folder / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(folder / "c.npz", a=np.ones((5, 1), dtype=bool))
    (folder / "garbage.npy").write_bytes(b"\x93NUMPY\x01\x00\xff\xffgarbage")
    (folder / "garbage.npz").write_bytes(b"PK\x03\x04garbage")
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (10000000000,), }"
    header += " " * (118 - len(header)) + "\n"  # 10 + 119 bytes, as numpy pads
    magic = b"\x93NUMPY\x01\x00w\x00"
    (folder / "hugeshape.npy").write_bytes(magic + header.encode() + b"\0" * 8)
    # an .npz whose one member expands to 300 MB of zeros from about 0.3 MB
    bomb = zipfile.ZipFile(folder / "bomb.npz", "w", zipfile.ZIP_DEFLATED)
    with bomb as archive, archive.open("a.npy", "w", force_zip64=True) as member:
        shape = (_BOMB_BYTES // 8,)
        np.lib.format.write_array_header_1_0(
            member, {"descr": "<i8", "fortran_order": False, "shape": shape}
        )
        for _ in range(_BOMB_BYTES // _MB):
            member.write(b"\0" * _MB)


def _write_checkpoints(folder: Path) -> None:
    """NeuroSAT checkpoints whose config asks for absurd networks, the shipped weights kept."""
    shipped = torch.load(REPO / "solvers/sat/models/neurosat.pt", weights_only=True)
    for name, change in {
        "d40000": {"d": 40000},
        "rounds_huge": {"rounds": 10**9},
        "layers_huge": {"mlp_layers": 100000},
    }.items():
        torch.save({**shipped, "config": {**shipped["config"], **change}}, folder / f"{name}.pt")


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run(case: Case, inputs: Path, out: Path) -> dict:
    """One case, as a subprocess: its exit code, wall seconds, peak MB and stderr."""
    command = case.command.format(NESY=NESY, IN=inputs, OUT=out)
    exec_ = "" if case.expect == "pipe" else "exec "  # a pipe needs the shell to wait on both
    stdout, stderr, peak = out / "stdout", out / "stderr", out / "peak_kb"
    peak.unlink(missing_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    start = time.monotonic()
    with stdout.open("wb") as o, stderr.open("wb") as e:
        process = subprocess.Popen(
            ["bash", "-c", f"ulimit -v 8000000; {exec_}/usr/bin/time -f %M -o {peak} {command}"],
            stdout=o,
            stderr=e,
            env=env,
            start_new_session=True,
            cwd=out,
            # as from a terminal: a benchmark started in the background (`cmd &` in a script)
            # hands on an ignored SIGINT, and the Ctrl-C case then measured nothing but that
            preexec_fn=_sigint_as_in_a_terminal,
        )
        hard = start + case.seconds * 1.1 + 30
        interrupted = False
        while True:
            pid, status = os.waitpid(process.pid, os.WNOHANG)
            if pid:
                break
            now = time.monotonic()
            if case.expect == "sigint" and not interrupted and now > start + 4:
                os.killpg(process.pid, signal.SIGINT)
                interrupted = True
            if now > hard:
                os.killpg(process.pid, signal.SIGKILL)
            time.sleep(0.01)
    wall = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return {
        "rc": process.returncode,
        "wall_seconds": wall,
        "peak_mb": _peak_mb(peak),
        "stderr": stderr.read_text(errors="replace"),
        "stdout": stdout.read_text(errors="replace"),
    }


def _peak_mb(peak: Path) -> float:
    """GNU time's peak resident kilobytes, in MB; -1 when it wrote none (the run was killed)."""
    try:
        return int(peak.read_text().split()[-1]) / 1024
    except (OSError, IndexError, ValueError):
        return -1.0


def _problems(case: Case, run: dict) -> list[str]:
    """What is wrong with a run; none means the case passes."""
    rc, err = run["rc"], run["stderr"]
    problems = []
    if "Traceback" in err or "Traceback" in run["stdout"]:
        problems.append("traceback")
    if rc in (134, -6, 139, -11):
        problems.append("abort")
    if rc in (-9, 137):
        problems.append("killed")
    lines = [
        line for line in err.splitlines() if line.strip() and not line.startswith("nesy: using")
    ]
    kinds = case.expect.split("|")
    if case.expect == "sigint":
        if rc != 130:
            problems.append(f"rc {rc}, not 130")
        if len(lines) != 1:
            problems.append(f"{len(lines)} stderr lines")
    elif case.expect == "pipe":
        if any("Broken pipe" in x or "BrokenPipe" in x or "Exception ignored" in x for x in lines):
            problems.append("pipe noise")
    else:
        argparse_refusal = rc == 2 and lines and ": error: argument" in lines[-1]
        clean_error = rc not in (0, 10, 20) and rc > 0
        answered = ("ok" in kinds and rc in (0, 10, 20)) or ("ok0" in kinds and rc == 0)
        if "error" in kinds and clean_error and not argparse_refusal:
            if not (lines and lines[0].startswith("nesy: error:")):
                problems.append("error not 'nesy: error:'")
        elif not (answered or ("error" in kinds and argparse_refusal)):
            problems.append(f"rc {rc}")
    if run["wall_seconds"] > case.seconds * 1.1 and case.expect not in ("pipe", "sigint"):
        problems.append(f"slow: {run['wall_seconds']:.1f} s > {case.seconds * 1.1:.1f} s")
    if run["peak_mb"] > case.memory_mb:
        problems.append(f"memory: {run['peak_mb']:.0f} MB > {case.memory_mb} MB")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="of the generated dense graph")
    parser.add_argument("--only", nargs="*", default=[], help="cases whose name has one of these")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks/results/hostile.json", help="JSON record"
    )
    args = parser.parse_args()
    record: dict = {
        "benchmark": "hostile",
        "config": {"seed": args.seed, "only": args.only},
        "protocol": __doc__.split("\n\n")[1],
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "load_average_before": os.getloadavg(),
        },
        "versions": {
            "python": platform.python_version(),
            "nesy": version("nesy"),
            "torch": str(torch.__version__),
            "clingo": version("clingo"),
            "python_sat": version("python-sat"),
        },
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs, out = Path(tmp) / "in", Path(tmp) / "out"
        inputs.mkdir()
        out.mkdir()
        _write_inputs(inputs, args.seed)
        for case in CASES:
            if args.only and not any(part in case.name for part in args.only):
                continue
            run = _run(case, inputs, out)
            problems = _problems(case, run)
            first = next((line for line in run["stderr"].splitlines() if line.strip()), "")
            row = {
                "case": case.name,
                "command": case.command.format(NESY="nesy", IN="$IN", OUT="$OUT"),
                "bound_seconds": case.seconds,
                "bound_mb": case.memory_mb,
                "expect": case.expect,
                "rc": run["rc"],
                "wall_seconds": round(run["wall_seconds"], 3),
                "peak_mb": round(run["peak_mb"], 1),
                "passed": not problems,
                "problems": problems,
                "stderr_first_line": first.replace(str(inputs), "$IN")[:200],
            }
            rows.append(row)
            verdict = "PASS" if not problems else "FAIL " + ", ".join(problems)
            print(
                f"{case.name:28} rc={row['rc']!s:4} {row['wall_seconds']:6.1f} s "
                f"{row['peak_mb']:6.0f} MB {verdict:30} {row['stderr_first_line'][:90]}",
                flush=True,
            )
    record["machine"]["load_average_after"] = os.getloadavg()
    record["rows"] = rows
    passed = sum(row["passed"] for row in rows)
    print(f"\n{passed} passed, {len(rows) - passed} failed")
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
