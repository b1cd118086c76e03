"""The Teams app package: ``python -m tools.app_package --app-id <guid> [--out dist/switchboard.zip]``.

``appPackage/manifest.json`` is the template of the Teams app manifest (schema
:data:`SCHEMA_VERSION`); the build fills in the bot's Microsoft App ID (with ``UserAssignedMSI``,
the client id of the Function App's managed identity) as the app's ``id`` and the bot's
``botId``, adds each ``--domain`` to ``validDomains``, and writes a zip holding
``manifest.json``, ``color.png`` and ``outline.png`` at its root — what Teams (Developer Portal,
Teams admin center, "Upload a custom app") accepts. The zip is reproducible: the same inputs give
the same bytes.

A missing or malformed app id is refused with a message saying what is expected, exit code 2;
nothing is written.

The bot's command menu (``bots[0].commandLists``) is generated from the action catalog and the
chat commands (:func:`menu_commands`): ``help`` first, then every action by the phrase people
type, then the other chat commands that work today, at most :data:`MAX_MENU_COMMANDS` (Teams'
limit per list; ``help`` lists everything). ``--update-template`` rewrites the menu and the app
version (``pyproject.toml``'s) in the template; a test fails when the committed template is stale.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from actions.registry import Registry, default_registry
from appsettings import GUID
from dialogs.help import COMMANDS, ChatCommand
from dialogs.help_text import spoken

__all__ = [
    "APP_ID_PLACEHOLDER",
    "APP_PACKAGE",
    "BOT_SCOPES",
    "DEFAULT_OUT",
    "MAX_MENU_COMMANDS",
    "SCHEMA_VERSION",
    "AppPackageError",
    "app_version",
    "build_manifest",
    "build_package",
    "load_template",
    "main",
    "menu_commands",
    "updated_template",
]

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGE = ROOT / "appPackage"
TEMPLATE = APP_PACKAGE / "manifest.json"
ICONS = ("color.png", "outline.png")
DEFAULT_OUT = ROOT / "dist" / "switchboard.zip"
SCHEMA_VERSION = "1.24"
"""The Teams app manifest schema the template follows (shipped offline by npm ``@microsoft/app-manifest``)."""
APP_ID_PLACEHOLDER = "${{BOT_APP_ID}}"
"""Stands for the bot's app id in the template (``id`` and ``bots[0].botId``)."""
BOT_SCOPES = ("personal", "team", "groupChat")
MAX_MENU_COMMANDS = 12
"""Teams shows at most 12 commands per command list (``commandLists[].commands`` ``maxItems``)."""
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class AppPackageError(ValueError):
    """The package cannot be built; the message says what to fix."""


def _plain(text: str) -> str:
    """Menu descriptions are plain text (no Markdown code marks) starting with a capital."""
    text = text.replace("`", "")
    return text[:1].upper() + text[1:]


def menu_commands(
    registry: Registry | None = None, commands: Iterable[ChatCommand] = COMMANDS
) -> list[dict[str, str]]:
    """The command menu: ``[{"title", "description"}]`` with ``help`` first, the actions in catalog
    order (title: the phrase the bot understands, e.g. ``scale node pool``), then the other available
    chat commands; commands announced but not built yet are left out; at most :data:`MAX_MENU_COMMANDS`."""
    registry = registry if registry is not None else default_registry()
    available = [command for command in commands if command.available]
    helps = [command for command in available if command.name == "help"]
    others = [command for command in available if command.name != "help"]
    entries = [{"title": command.name, "description": _plain(command.summary)} for command in helps]
    for action in registry:
        description = action.summary
        if action.examples:
            description += f" Example: {action.examples[0]}"
        entries.append({"title": spoken(action), "description": _plain(description)})
    entries += [{"title": command.name, "description": _plain(command.summary)} for command in others]
    return entries[:MAX_MENU_COMMANDS]


def app_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The app's version (``[project] version`` of ``pyproject.toml``), which Teams needs raised on each update."""
    with pyproject.open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The manifest template as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))


def updated_template(template: dict[str, Any], registry: Registry | None = None) -> dict[str, Any]:
    """``template`` with the generated parts replaced: the version and the bot's command menu."""
    updated = copy.deepcopy(template)
    updated["version"] = app_version()
    [bot] = updated["bots"]
    bot["commandLists"] = [{"scopes": list(BOT_SCOPES), "commands": menu_commands(registry)}]
    return updated


def _check_app_id(app_id: str | None) -> str:
    if app_id is None or not app_id.strip():
        raise AppPackageError(
            "--app-id is required: the bot's Microsoft App ID (MicrosoftAppId; with UserAssignedMSI the client id "
            "of the Function App's managed identity), a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301"
        )
    app_id = app_id.strip()
    if not GUID.match(app_id):
        raise AppPackageError(
            f"--app-id {app_id!r} is not a Microsoft App ID: expected a GUID such as "
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301 (8-4-4-4-12 hexadecimal digits)"
        )
    return app_id.lower()


def _check_domain(domain: str) -> str:
    host = domain.strip().lower()
    if not _HOSTNAME.match(host):
        raise AppPackageError(
            f"--domain {domain!r} is not a host name: give the bare host, e.g. func-switchboard.azurewebsites.net "
            "(no https://, no path)"
        )
    return host


def build_manifest(template: dict[str, Any], app_id: str | None, domains: Sequence[str] = ()) -> dict[str, Any]:
    """The manifest for ``app_id``: the placeholder replaced, ``validDomains`` = ``domains`` (host names).

    Raises :class:`AppPackageError` for a missing or malformed app id or domain.
    """
    checked = _check_app_id(app_id)
    hosts = list(dict.fromkeys(_check_domain(domain) for domain in domains))
    text = json.dumps(template).replace(APP_ID_PLACEHOLDER, checked)
    manifest = json.loads(text)
    manifest["validDomains"] = hosts
    return manifest


def build_package(
    app_id: str | None, out: Path = DEFAULT_OUT, domains: Sequence[str] = (), *, package_dir: Path = APP_PACKAGE
) -> Path:
    """Write the app package zip to ``out`` (parent folders created) and return its path.

    Raises :class:`AppPackageError` before writing anything when the app id or a domain is bad.
    """
    manifest = build_manifest(load_template(package_dir / "manifest.json"), app_id, domains)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [("manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))]
        entries += [(icon, (package_dir / icon).read_bytes()) for icon in ICONS]
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    partial.replace(out)
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.app_package",
        description="Build the Teams app package (manifest.json + icons) for the bot's app id.",
    )
    parser.add_argument("--app-id", help="the bot's Microsoft App ID (a GUID): MicrosoftAppId of the Function App")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="the zip to write (default: dist/switchboard.zip)"
    )
    parser.add_argument(
        "--domain",
        action="append",
        default=[],
        help="a host name for validDomains, e.g. the Function App's host (repeatable)",
    )
    parser.add_argument(
        "--update-template",
        action="store_true",
        help="rewrite appPackage/manifest.json's generated parts (command menu, version) and exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.update_template:
        TEMPLATE.write_text(json.dumps(updated_template(load_template()), indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {TEMPLATE.relative_to(ROOT)}")
        return 0
    try:
        out = build_package(args.app_id, args.out, args.domain)
    except AppPackageError as error:
        print(f"app package: {error}", file=sys.stderr)
        return 2
    developer = load_template().get("developer", {})
    if any(".invalid/" in str(url) for url in developer.values()):
        print(
            "app package: note: developer URLs in appPackage/manifest.json are placeholders (.invalid); "
            "set your organisation's pages before publishing to the tenant's app catalog",
            file=sys.stderr,
        )
    print(f"wrote {out} (upload it in Teams: Apps > Manage your apps > Upload an app, or the Teams admin center)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
