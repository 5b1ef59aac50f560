"""`nesy edcr learn` / `nesy edcr apply` end to end, through the real command."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from nesy.cli import main
from nesy.errors import DataError
from nesy.lang import Rule, parse, parse_file
from solvers.edcr.cli import read_labels
from solvers.edcr.conditions import Conditions, write_conditions
from solvers.edcr.rules import DetectionRule, RuleSet, read_rules, write_rules


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "nesy", "edcr", *args], capture_output=True, text=True
    )


def _learn(predictions, labels, conditions, out, *options):
    return _run(
        "learn",
        *("--predictions", str(predictions), "--labels", str(labels)),
        *("--conditions", str(conditions), "--out", str(out)),
        *options,
    )


@pytest.fixture
def files(tmp_path, make_secondary_task):
    predictions, labels, conditions = make_secondary_task(1, 600)
    half = slice(0, 300), slice(300, 600)
    paths = {}
    for part, rows in zip(("learn", "test"), half, strict=True):
        np.save(tmp_path / f"{part}_pred.npy", predictions[rows])
        (tmp_path / f"{part}_labels.txt").write_text(
            "label\n" + "".join(f"{y}\n" for y in labels[rows])
        )
        write_conditions(
            tmp_path / f"{part}_cond.csv", Conditions(conditions.names, conditions.values[rows])
        )
        paths[part] = [tmp_path / f"{part}_{x}" for x in ("pred.npy", "labels.txt", "cond.csv")]
    return tmp_path, paths


def test_learn_then_apply(files):
    tmp, paths = files
    pred, labels, cond = paths["learn"]
    rules_file, program = tmp / "rules.json", tmp / "rules.lp"
    result = _learn(pred, labels, cond, rules_file, "--classes", "a,b,c", "--program", str(program))
    assert result.returncode == 0, result.stderr
    assert "error(X) :- pred(X, " in result.stdout and "corrected(X, " in result.stdout
    rules = read_rules(rules_file)
    assert rules.classes == ("a", "b", "c") and rules.correction
    assert rules.to_text() in program.read_text()

    pred, labels, cond = paths["test"]
    out = tmp / "new.txt"
    result = _run(
        "apply",
        str(rules_file),
        "--predictions",
        str(pred),
        "--conditions",
        str(cond),
        "--labels",
        str(labels),
        "--out",
        str(out),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    written = [int(x) for x in out.read_text().split()]
    assert written == report["labels"] and len(written) == 300
    scores = report["scores"]
    assert scores["accuracy_after"] > scores["accuracy_before"]  # the secondary model helps


def test_bad_conditions_file_is_reported_with_its_position(files):
    tmp, paths = files
    pred, labels, _ = paths["learn"]
    bad = tmp / "bad.csv"
    bad.write_text("sec=0,sec=1\n1,0\n0,x\n")
    out = tmp / "rules.json"
    result = _learn(pred, labels, bad, out)
    assert result.returncode == 1
    assert f"{bad}:3:3: expected 0 or 1 for 'sec=1'; got 'x'" in result.stderr
    assert not out.exists()


def test_mismatched_lengths_and_missing_conditions_are_refused(files):
    tmp, paths = files
    pred, labels, cond = paths["learn"]
    short = tmp / "short.txt"
    short.write_text("0\n1\n")
    result = _learn(pred, short, cond, tmp / "r.json")
    assert result.returncode == 1 and "disagree on the number of samples" in result.stderr

    _learn(pred, labels, cond, tmp / "r.json")
    other = tmp / "other.csv"
    write_conditions(other, Conditions(("x",), np.zeros((300, 1), bool)))
    result = _run(
        "apply", str(tmp / "r.json"), "--predictions", str(pred), "--conditions", str(other)
    )
    assert result.returncode == 1 and "lacks the rules' conditions" in result.stderr


def test_a_label_file_with_a_bad_line_names_it(files):
    tmp, paths = files
    pred, _, cond = paths["learn"]
    bad = tmp / "labels.txt"
    bad.write_text("1\n2\n  two\n")
    result = _learn(pred, bad, cond, tmp / "r.json")
    assert result.returncode == 1
    assert f"{bad}:3:3: expected one integer class index per line; got 'two'" in result.stderr


def test_fashion_writes_files_that_learn_and_apply_read(tmp_path):
    from tasks.fashion_edcr.fashion import default_fashion_dir

    if not default_fashion_dir().is_dir():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    out = tmp_path / "data"
    result = _run(
        "fashion", str(out), "--epochs", "1", "--train-images", "300", "--rule-images", "500"
    )
    assert result.returncode == 0, result.stderr
    assert "learn: 500 samples" in result.stdout and "test: 10000 samples" in result.stdout
    classes = result.stdout.strip().splitlines()[-1].removeprefix("classes: ")
    rules = tmp_path / "rules.json"
    learn = [out / f"learn_{name}" for name in ("pred.npy", "labels.npy", "conditions.npz")]
    result = _learn(*learn, rules, "--classes", classes)
    assert result.returncode == 0, result.stderr
    result = _run(
        "apply",
        str(rules),
        "--predictions",
        str(out / "test_pred.npy"),
        "--conditions",
        str(out / "test_conditions.npz"),
        "--labels",
        str(out / "test_labels.npy"),
    )
    assert result.returncode == 0, result.stderr
    assert "10000 samples: " in result.stdout and "error detection: precision" in result.stdout


# --- what Python's int() would have read wrongly, and programs that must parse back -----------


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("0\n1_0\n", "got '1_0' (ASCII digits 0-9 only)", 2, 1),  # int() read class 10
        ("1_0\n1\n", "got '1_0'", 1, 1),  # a first line that was not an integer was skipped
        ("0\n \u0661\n", "got '\u0661'", 2, 2),  # int() read class 1
        ("0\n+1\n", "got '+1'", 2, 1),
        ("0\n1.0\n", "got '1.0'", 2, 1),
        ("0\n\u00a01\n", "got '\u00a01'", 2, 1),  # a no-break space is no separator
        ("0\n-1\n", "a class index is 0 or more; got -1", 2, 1),
        ("0\n  99999999999999999999\n", "class index 99999999999999999999 exceeds", 2, 3),
    ],
)
def test_label_lines_are_plain_ascii_indices(tmp_path, text, message, line, column):
    path = tmp_path / "labels.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(message)) as error:
        read_labels(path)
    span = error.value.span
    assert (span.source, span.line, span.column) == (str(path), line, column)


def test_label_headers_and_blanks_are_skipped(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("label\r\n 3\t\r\n\r\n007\r\n")
    assert read_labels(path).tolist() == [3, 7]


def test_label_files_that_are_not_labels(tmp_path):
    latin = tmp_path / "l.txt"
    latin.write_bytes(b"0\n\xe9\n")
    with pytest.raises(DataError, match="not UTF-8 text"):
        read_labels(latin)
    huge = tmp_path / "u.npy"
    np.save(huge, np.array([1, 2**63], dtype=np.uint64))  # astype(int64) made it negative
    with pytest.raises(DataError, match=r"sample 1: class index 9223372036854775808 exceeds"):
        read_labels(huge)
    negative = tmp_path / "n.npy"
    np.save(negative, np.array([0, -1]))
    with pytest.raises(DataError, match="sample 1: a class index is 0 or more; got -1"):
        read_labels(negative)
    objects = tmp_path / "o.npy"
    np.save(objects, np.array([0, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="not a .npy array of class indices"):
        read_labels(objects)


def _main(*args: str) -> int:
    return main(["edcr", *map(str, args)])


def test_classes_must_cover_every_index_at_its_line(tmp_path, capsys):
    (tmp_path / "p.txt").write_text("0\n1\n0\n")
    (tmp_path / "l.txt").write_text("label\n0\n1\n2\n")
    write_conditions(tmp_path / "c.csv", Conditions(("c",), np.array([[1], [0], [1]], bool)))
    files = ["--predictions", tmp_path / "p.txt", "--labels", tmp_path / "l.txt"]
    files += ["--conditions", tmp_path / "c.csv", "--out", tmp_path / "r.json"]
    assert _main("learn", *files, "--classes", "a,b") == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'l.txt'}:4:1: class index 2 is out of range: --classes names 2" in err


def test_classes_are_inferred_only_within_reason(tmp_path, capsys):
    # range(10**12 + 1) class names: memory ran out, with a traceback, long after the read
    (tmp_path / "p.txt").write_text("0\n1\n")
    (tmp_path / "l.txt").write_text("0\n1000000000000\n")
    write_conditions(tmp_path / "c.csv", Conditions(("c",), np.array([[1], [0]], bool)))
    files = ["--predictions", tmp_path / "p.txt", "--labels", tmp_path / "l.txt"]
    files += ["--conditions", tmp_path / "c.csv", "--out", tmp_path / "r.json"]
    assert _main("learn", *files) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'l.txt'}:2:1: class index 1000000000000: without --classes" in err


def test_apply_refuses_predictions_past_the_rules_classes(tmp_path, capsys):
    # class 5 matched no rule and was written out unchanged
    write_rules(tmp_path / "r.json", RuleSet(("a", "b"), (DetectionRule(0, ("c",)),)))
    write_conditions(tmp_path / "c.csv", Conditions(("c",), np.array([[1], [0]], bool)))
    (tmp_path / "p.txt").write_text("0\n5\n")
    args = ["apply", tmp_path / "r.json", "--predictions", tmp_path / "p.txt"]
    assert _main(*args, "--conditions", tmp_path / "c.csv") == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'p.txt'}:2:1: class index 5 is out of range: {tmp_path / 'r.json'}" in err


def test_the_written_program_parses_back_to_the_rules(tmp_path, capsys):
    # a condition name with a line break (a quoted CSV header) and a predictions path with one
    # were written raw: the program did not parse
    folder = tmp_path / "odd\nfolder"
    folder.mkdir()
    (folder / "p.txt").write_text("0\n0\n1\n1\n")
    (folder / "l.txt").write_text("1\n0\n1\n0\n")
    (folder / "c.csv").write_text('"two\nlines",other\n1,0\n0,1\n0,0\n1,1\n')
    program = folder / "rules.lp"
    files = ["--predictions", folder / "p.txt", "--labels", folder / "l.txt"]
    files += ["--conditions", folder / "c.csv", "--out", folder / "r.json"]
    assert _main("learn", *files, "--program", program, "--epsilon", "1") == 0
    rules = read_rules(folder / "r.json")
    assert "two\nlines" in rules.conditions_used()
    parsed = parse_file(program)
    assert [str(s) for s in parsed.statements] == [
        str(s) for s in parse(rules.to_text()).statements
    ]
    written = [s.body[1].atom.args[1].value for s in parsed.statements if isinstance(s, Rule)]
    assert sorted(written) == sorted(
        [c for r in rules.detection for c in r.conditions]
        + [c for r in rules.correction for c, _ in r.pairs]
    )


@pytest.mark.parametrize("option", [("--epsilon", "1_0"), ("--epsilon", "nan"), ("--seed", "1_0")])
def test_options_take_plain_decimals(option, capsys):
    verb = ["fashion", "out"] if option[0] == "--seed" else ["learn"]
    with pytest.raises(SystemExit) as exit_:
        _main(*verb, *option)
    assert exit_.value.code == 2 and f"argument {option[0]}: expected" in capsys.readouterr().err
