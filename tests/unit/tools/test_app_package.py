"""The Teams app package: the manifest valid against Microsoft's official schema (offline, from npm
``@microsoft/app-manifest``), the icons Teams accepts, a command menu that matches the code, and a
build that refuses a missing or malformed app id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image

from actions.registry import default_registry
from dialogs.help import COMMANDS, HelpBook
from tools.app_icons import ACCENT_COLOR, color_icon, outline_icon
from tools.app_package import (
    APP_ID_PLACEHOLDER,
    MAX_MENU_COMMANDS,
    SCHEMA_VERSION,
    build_manifest,
    build_package,
    load_template,
    updated_template,
)

ROOT = Path(__file__).resolve().parents[3]
APP_PACKAGE = ROOT / "appPackage"
SCHEMA = (
    ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
    / f"v{SCHEMA_VERSION}" / "MicrosoftTeams.schema.json"
)
APP_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
HOST = "func-switchboard-prod.azurewebsites.net"


def rgba_pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    data = image.convert("RGBA").tobytes()
    return [(data[i], data[i + 1], data[i + 2], data[i + 3]) for i in range(0, len(data), 4)]


def schema_validator() -> jsonschema.protocols.Validator:
    """Microsoft's Teams manifest schema (draft-04, using draft-06's ``const`` as the Teams tools read it)."""
    assert SCHEMA.is_file(), f"{SCHEMA} is missing: run `npm ci` (make test installs package-lock.json's packages)"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8-sig"))
    validator_class = jsonschema.validators.extend(
        jsonschema.Draft4Validator, {"const": jsonschema.Draft6Validator.VALIDATORS["const"]}
    )
    return validator_class(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in schema_validator().iter_errors(manifest)]


@pytest.fixture
def package(tmp_path: Path) -> zipfile.ZipFile:
    out = build_package(APP_ID, tmp_path / "dist" / "switchboard.zip", [HOST])
    return zipfile.ZipFile(out)


def manifest_of(package: zipfile.ZipFile) -> dict[str, Any]:
    return json.loads(package.read("manifest.json"))


def test_the_built_manifest_is_valid_against_the_official_schema(package: zipfile.ZipFile) -> None:
    manifest = manifest_of(package)
    assert schema_errors(manifest) == []
    assert manifest["manifestVersion"] == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("breakage", "path"),
    [
        (lambda m: m["bots"][0].update(botId="not-a-guid"), "bots/0/botId"),
        (lambda m: m["bots"][0]["commandLists"][0]["commands"].extend([{"title": "x", "description": "y"}] * 13),
         "bots/0/commandLists/0/commands"),
        (lambda m: m.update(manifestVersion="1.99"), "manifestVersion"),
        (lambda m: m["bots"][0].update(scopes=["everywhere"]), "bots/0/scopes/0"),
    ],
)
def test_the_schema_check_catches_a_broken_manifest(package: zipfile.ZipFile, breakage: Any, path: str) -> None:
    manifest = manifest_of(package)
    breakage(manifest)
    assert any(error.startswith(path) for error in schema_errors(manifest))


def test_the_zip_holds_the_manifest_and_icons_at_its_root_for_the_given_app_id(package: zipfile.ZipFile) -> None:
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    manifest = manifest_of(package)
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert manifest["validDomains"] == [HOST]
    assert APP_ID_PLACEHOLDER not in package.read("manifest.json").decode()
    for icon in ("color.png", "outline.png"):
        assert package.read(icon) == (APP_PACKAGE / icon).read_bytes()


def test_the_same_inputs_build_the_same_bytes(tmp_path: Path) -> None:
    first = build_package(APP_ID, tmp_path / "a.zip", [HOST]).read_bytes()
    second = build_package(APP_ID, tmp_path / "b.zip", [HOST]).read_bytes()
    assert first == second


def run_build(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tools.app_package", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "--app-id is required"),
        (("--app-id", ""), "--app-id is required"),
        (("--app-id", "switchboard-bot"), "is not a Microsoft App ID: expected a GUID"),
        (("--app-id", "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}"), "is not a Microsoft App ID"),
        (("--app-id", "3f2504e0-4f89-11d3-9a0c-0305e82c330"), "is not a Microsoft App ID"),
        (("--app-id", APP_ID, "--domain", "https://func.example.net/api"), "is not a host name"),
    ],
)
def test_the_build_refuses_a_missing_or_malformed_app_id(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    out = tmp_path / "switchboard.zip"
    result = run_build(*args, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_build_command_writes_the_zip(tmp_path: Path) -> None:
    out = tmp_path / "out" / "switchboard.zip"
    result = run_build("--app-id", APP_ID.upper(), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert manifest_of(zipfile.ZipFile(out))["id"] == APP_ID


def test_the_command_menu_and_version_in_the_template_are_current() -> None:
    template = load_template()
    assert updated_template(template) == template, (
        "appPackage/manifest.json is stale: run `make docs` (python -m tools.app_package --update-template)"
    )


def test_every_menu_entry_is_a_command_the_bot_understands() -> None:
    registry = default_registry()
    book = HelpBook(registry)
    [command_list] = load_template()["bots"][0]["commandLists"]
    titles = [command["title"] for command in command_list["commands"]]
    assert titles[0] == "help"
    assert len(titles) <= MAX_MENU_COMMANDS
    assert len(set(titles)) == len(titles)
    for title in titles:
        command = book.command(title)
        assert registry.get(title) is not None or (command is not None and command.available), title
    # Every action is on the menu while the menu has room for them after `help`.
    if len(registry) < MAX_MENU_COMMANDS:
        assert {registry.get(title) for title in titles} >= set(registry)
    assert not any(title == command.name for command in COMMANDS if not command.available for title in titles)


def test_the_template_is_the_bot_in_every_scope_with_the_icons_accent_colour() -> None:
    template = load_template()
    assert template["id"] == template["bots"][0]["botId"] == APP_ID_PLACEHOLDER
    assert template["accentColor"] == ACCENT_COLOR
    with pytest.raises(ValueError, match="--app-id"):
        build_manifest(template, "  ")


def test_the_colour_icon_is_192_px_and_opaque_on_the_accent_colour() -> None:
    icon = Image.open(APP_PACKAGE / "color.png")
    assert icon.format == "PNG"
    assert icon.size == (192, 192)
    rgba = icon.convert("RGBA")
    assert rgba.getchannel("A").getextrema() == (255, 255)
    accent = tuple(int(ACCENT_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    assert rgba.getpixel((0, 0))[:3] == accent
    assert rgba.getpixel((191, 191))[:3] == accent
    assert (255, 255, 255) in {pixel[:3] for pixel in rgba_pixels(rgba)}


def test_the_outline_icon_is_32_px_white_on_transparent() -> None:
    icon = Image.open(APP_PACKAGE / "outline.png")
    assert icon.format == "PNG"
    assert icon.size == (32, 32)
    assert icon.mode == "RGBA"
    pixels = rgba_pixels(icon)
    visible = [pixel for pixel in pixels if pixel[3] > 0]
    assert all(pixel[:3] == (255, 255, 255) for pixel in visible)
    assert icon.getpixel((0, 0))[3] == 0  # a transparent background
    transparent = sum(1 for pixel in pixels if pixel[3] == 0)
    opaque = sum(1 for pixel in pixels if pixel[3] == 255)
    assert transparent > len(pixels) // 4
    assert opaque > 20  # a visible symbol, not an empty image


def test_the_committed_icons_are_what_the_icon_script_draws() -> None:
    # Within 2 levels per channel: Pillow releases may round the scaled-down edges differently.
    for name, drawn in (("color.png", color_icon()), ("outline.png", outline_icon())):
        committed = rgba_pixels(Image.open(APP_PACKAGE / name))
        expected = rgba_pixels(drawn)
        assert len(committed) == len(expected), name
        pairs = zip(committed, expected, strict=True)
        worst = max(abs(a - b) for old, new in pairs for a, b in zip(old, new, strict=True))
        assert worst <= 2, name
