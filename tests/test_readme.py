"""The README's promises: results generated from the JSON (benchmarks/README.md), CI's commands."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_results_section_is_generated_from_the_benchmark_json():
    check = subprocess.run([sys.executable, "benchmarks/report.py", "--check"], cwd=ROOT)
    assert check.returncode == 0, "benchmarks/README.md is stale: run python benchmarks/report.py"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = (
        'python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/python -m pytest'
    )
    assert command in readme
    assert ".venv/bin/python -m pytest" in ci
