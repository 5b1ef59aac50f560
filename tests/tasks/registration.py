"""Registration through the same mechanism as the project's own tasks and backends: an installed
distribution's entry points. A throwaway one is written into a folder put on ``sys.path``, as
``pip install`` of a package with ``[project.entry-points."nesy.tasks"]`` would leave it."""

from __future__ import annotations

from pathlib import Path

#: The folder of the toy task and backend, importable once it is on sys.path.
TOY = Path(__file__).resolve().parent / "toy"

ENTRY_POINTS = """\
[nesy.tasks]
toy-parity = toy_parity:TASK

[nesy.backends]
facts = toy_backend:BACKEND
"""


def install_toys(site: Path) -> None:
    """Write the toys' distribution metadata into ``site`` (to be put on sys.path with TOY)."""
    info = site / "nesy_toys-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nesy-toys\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
