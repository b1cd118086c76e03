"""The Bicep files parse with checkov's parser, and main.bicep refuses what would deploy a useless or
all-powerful bot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.infra.bicep import BICEP_DIR, MAIN, bicep_files, parse


def test_main_and_its_modules_are_there() -> None:
    names = {path.relative_to(BICEP_DIR).as_posix() for path in bicep_files()}
    assert "main.bicep" in names
    referenced = {module["detail"]["path"] for module in parse(MAIN)["modules"].values()}
    assert referenced, "main.bicep declares no modules"
    assert referenced <= names, f"main.bicep uses modules that do not exist: {sorted(referenced - names)}"


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(BICEP_DIR).as_posix())
def test_every_bicep_file_parses(path: Path) -> None:
    tree = parse(path)  # raises lark's UnexpectedInput, naming the line and column, on a syntax error
    assert tree.get("resources") or tree.get("modules"), f"{path.name} declares nothing"


def test_the_operable_scopes_cannot_be_empty_and_say_why() -> None:
    scopes = parse(MAIN)["parameters"]["operableScopes"]
    decorators = {d["type"]: d["argument"] for d in scopes["decorators"]}
    assert scopes["type"] == "array"
    assert scopes["default"] is None  # no default: every deployment names its scopes
    assert decorators["min_length"] == 1
    description = decorators["description"]
    assert "At least one is\nrequired" in description
    assert "could do nothing" in description
    assert "anything anywhere" in description


def test_the_role_is_assigned_only_on_the_operable_scopes() -> None:
    modules = parse(MAIN)["modules"]
    assignments = [m for m in modules.values() if m["detail"]["path"].startswith("modules/operator-assignment-")]
    assert len(assignments) == 2  # one for subscriptions, one for resource groups
    for module in assignments:
        assert module["config"]["loop_type"]["detail"]["array_name"] == "operableScopes"
