"""The JSON Lines data format of ``nesy train --data``: every way to write an input, and the
positioned error of every malformed line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nesy.errors import DataError
from nesy.train.datafile import read_examples


def _write(path: Path, *rows: object) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_arrays_rows_archives_and_inline_numbers(tmp_path: Path) -> None:
    images = np.arange(24, dtype=np.float64).reshape(4, 2, 3)
    np.save(tmp_path / "images.npy", images)
    np.savez(tmp_path / "more.npz", codes=np.array([[7, 8], [9, 10]], dtype=np.int32))
    data = _write(
        tmp_path / "train.jsonl",
        {"inputs": {"x": "images.npy#3", "c": "more.npz#codes#1", "v": [0.5, 1]}, "answer": 3},
        "",  # blank lines are skipped, and still counted
        {"inputs": {"x": "images.npy#0", "c": "more.npz#codes#0", "v": [2, 3]}, "answer": "red"},
    )
    examples = read_examples(data)
    assert len(examples) == 2 and examples.lines == (1, 3)
    assert examples.inputs["x"].dtype == torch.float32
    assert examples.inputs["x"].tolist() == [images[3].tolist(), images[0].tolist()]
    assert examples.inputs["c"].dtype == torch.int64
    assert examples.inputs["c"].tolist() == [[9, 10], [7, 8]]
    assert examples.inputs["v"].tolist() == [[0.5, 1.0], [2.0, 3.0]]
    assert examples.answers == (3, "red")


def test_answers_as_model_values(tmp_path: Path) -> None:
    rows = [{"inputs": {"v": [1]}, "answer": a} for a in ("12", 5, True, ["a", "3"], "-2")]
    examples = read_examples(_write(tmp_path / "d.jsonl", *rows))
    assert examples.answers == (12, 5, True, ("a", 3), -2)


def test_image_files_are_read_as_normalised_channels(tmp_path: Path) -> None:
    from PIL import Image

    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[3, 5] = 255
    Image.fromarray(pixels, mode="L").save(tmp_path / "grey.png")
    Image.fromarray(np.full((4, 6, 3), 255, dtype=np.uint8), mode="RGB").save(tmp_path / "c.png")
    data = _write(
        tmp_path / "d.jsonl",
        {"inputs": {"g": "grey.png", "c": "c.png"}, "answer": 1},
    )
    examples = read_examples(data)
    grey = examples.inputs["g"][0]
    assert grey.shape == (1, 28, 28)
    assert grey[0, 3, 5].item() == 1.0 and grey[0, 0, 0].item() == -1.0  # 0..255 -> -1..1
    assert examples.inputs["c"].shape == (1, 3, 4, 6)


def test_subset_keeps_lines(tmp_path: Path) -> None:
    rows = [{"inputs": {"v": [i]}, "answer": i} for i in range(4)]
    examples = read_examples(_write(tmp_path / "d.jsonl", *rows)).subset([3, 1])
    assert examples.answers == (3, 1) and examples.lines == (4, 2)
    assert examples.inputs["v"].tolist() == [[3.0], [1.0]]


@pytest.mark.parametrize(
    ("line", "where", "expected"),
    [
        ('{"inputs": {"v": [1]}, "answer": 1', "2:35", "not a JSON object"),
        ("[1, 2]", "2:1", "expected a JSON object"),
        ('{"inputs": {"v": [1]}}', "2:1", "missing 'answer'"),
        ('{"inputs": {"v": [1]}, "answer": 1, "label": 2}', "2:1", "unknown key 'label'"),
        ('{"inputs": {"w": [1]}, "answer": 1}', "2:2", "differ from line 1's ['v']"),
        ('{"inputs": {"v": [1, 2]}, "answer": 1}', "2:13", "input 'v' has shape (2,); line 1"),
        ('{"inputs": {"v": "a.npy#9"}, "answer": 1}', "2:13", "expected an integer in 0..2"),
        ('{"inputs": {"v": "a.npy#x"}, "answer": 1}', "2:13", "row 'x' of a.npy"),
        ('{"inputs": {"v": "b.npy#0"}, "answer": 1}', "2:13", "no such file"),
        ('{"inputs": {"v": "a.csv#0"}, "answer": 1}', "2:13", "expected FILE.npy[#ROW]"),
        ('{"inputs": {"v": "o.npy#0"}, "answer": 1}', "2:13", "cannot load o.npy"),
        ('{"inputs": {"v": "z.npz#nope#0"}, "answer": 1}', "2:13", "has no array 'nope'"),
        ('{"inputs": {"v": [[1], [2, 3]]}, "answer": 1}', "2:13", "rectangular"),
        ('{"inputs": {"v": {"x": 1}}, "answer": 1}', "2:13", 'expected "FILE.npy#ROW"'),
        ('{"inputs": {"v": [1]}, "answer": 1.5}', "2:24", "'answer' must be a number"),
        ('{"inputs": {"v": [1]}, "answer": null}', "2:24", "'answer' must be"),
        ('{"inputs": {}, "answer": 1}', "2:2", "'inputs' must be a non-empty object"),
    ],
)
def test_malformed_lines_are_positioned(
    tmp_path: Path, line: str, where: str, expected: str
) -> None:
    np.save(tmp_path / "a.npy", np.zeros((3, 1), dtype=np.float32))
    np.save(tmp_path / "o.npy", np.array([{"pickled": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "z.npz", x=np.zeros((1, 1)))
    data = _write(tmp_path / "d.jsonl", {"inputs": {"v": [1]}, "answer": 1}, line)
    with pytest.raises(DataError) as raised:
        read_examples(data)
    assert str(raised.value).startswith(f"{data}:{where}: ")
    assert expected in str(raised.value)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such data file"):
        read_examples(tmp_path / "none.jsonl")
    with pytest.raises(DataError, match="holds no examples"):
        read_examples(_write(tmp_path / "empty.jsonl", ""))
