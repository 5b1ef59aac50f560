"""nesy.commands.OWN, the table that spares `nesy solve` reading entry points, says what the
installed ``nesy.commands`` entry points and the command groups themselves say."""

from __future__ import annotations

import argparse
from importlib.metadata import entry_points

from nesy.commands import OWN, add_groups


def test_the_table_names_this_projects_entry_points_in_their_order() -> None:
    installed = [(e.name, e.value) for e in entry_points(group="nesy.commands")]
    own = [(name, target) for name, (target, _) in OWN.items()]
    assert [entry for entry in installed if entry[0] in OWN] == own
    assert {name for name, _ in installed} >= set(OWN)


def _listed(command: str | None) -> dict[str, str | None]:
    parser = argparse.ArgumentParser(prog="nesy")
    commands = parser.add_subparsers()
    add_groups(commands, command, core=())
    return {action.dest: action.help for action in commands._choices_actions}


def test_each_groups_help_is_the_one_its_module_gives() -> None:
    for name, (_, text) in OWN.items():
        assert _listed(name)[name] == text  # the group itself, loaded from its module
        assert _listed(None)[name] == text  # `nesy --help`: from the table


def test_a_core_command_adds_no_group() -> None:
    parser = argparse.ArgumentParser(prog="nesy")
    commands = parser.add_subparsers()
    add_groups(commands, "query", core=("query", "train"))
    assert commands.choices == {}
