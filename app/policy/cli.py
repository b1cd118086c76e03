"""``python -m app.policy``: validate, import, export the policy file; bootstrap the first admin.

    python -m app.policy validate FILE
    python -m app.policy import FILE [--dry-run] [--actor OBJECT_ID]
    python -m app.policy export [FILE]
    python -m app.policy bootstrap-admin --user OBJECT_ID --scope SCOPE [--reason TEXT] [--actor OBJECT_ID]

Storage comes from the same settings as the app (``SwitchboardStorage`` or
``SwitchboardStorage__accountName`` …, docs/settings.md); with ``APPLICATIONINSIGHTS_CONNECTION_STRING``
set, audit records are also sent as telemetry events. ``validate`` needs no storage.

Exit codes: 0 done; 1 the file is invalid, or storage failed (nothing changed); 2 bad usage or settings.
Messages go to stderr; ``export`` without FILE writes the policy to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from actions.registry import default_registry
from guardrails.policyfile import (
    ActionCatalog,
    Policy,
    PolicyFileError,
    PolicyProblem,
    parse_policy,
    render_policy,
)
from guardrails.ports import RecordConflict, StoreError, StoreUnavailable
from guardrails.scopes import ScopeError
from storage.audit import TableAuditStore
from storage.settings import StorageSettings
from storage.tables import TableClientOptions, TableProvider

__all__ = ["load_policy_file", "main", "run"]

_OBJECT_ID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12,13}$")


class _Usage(Exception):
    """Bad usage or settings: exit 2 with this message."""


def load_policy_file(path: Path, *, actor: str = "", now: datetime | None = None) -> Policy:
    """Read and validate the policy file at ``path`` against the built-in action catalog.

    :raises PolicyFileError: every problem, each naming the file, line and field (also for an unreadable file).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PolicyFileError([PolicyProblem(str(path), None, "", f"cannot be read ({reason})")]) from None
    return parse_policy(
        data, file=str(path), catalog=ActionCatalog.from_actions(default_registry()),
        now=now or datetime.now(UTC), actor=actor,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.policy",
        description="Validate, import and export Switchboard's policy file (docs/policy.md); bootstrap an admin.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser("validate", help="check a policy file; no storage needed")
    validate.add_argument("file", type=Path)
    load = commands.add_parser("import", help="replace the whole policy with a file (all or nothing)")
    load.add_argument("file", type=Path)
    load.add_argument("--dry-run", action="store_true", help="only list what would change")
    load.add_argument("--actor", default="", help="your Entra object id, for the audit trail")
    export = commands.add_parser("export", help="write the active policy as a policy file")
    export.add_argument("file", type=Path, nargs="?", help="default: standard output")
    boot = commands.add_parser("bootstrap-admin", help="make a user an admin of a scope (the first admin)")
    boot.add_argument("--user", required=True, help="the new admin's Entra object id")
    boot.add_argument("--scope", required=True, help="e.g. / (everything) or /subscriptions/<id>")
    boot.add_argument("--reason", default="", help="why (kept in the audit trail)")
    boot.add_argument("--actor", default="", help="your Entra object id, for the audit trail")
    return parser


def _actor(value: str) -> str:
    value = value.strip()
    if value and not _OBJECT_ID.match(value):
        raise _Usage(f"--actor: expected an Entra object id (8-4-4-4-12 hex digits), got {value[:60]!r}")
    return value.lower()


def _tables(env: Mapping[str, str]) -> TableProvider:
    from storage.settings import STORAGE_SETTINGS

    problems: list[str] = []
    settings = StorageSettings.read(env, problems)
    if problems:
        names = ", ".join(s.name for s in STORAGE_SETTINGS[:2])
        raise _Usage("storage settings: " + "; ".join(problems) + f" (set {names} as for the app)")
    return TableProvider.from_settings(settings, options=TableClientOptions.from_settings(settings))


def _audit_events(env: Mapping[str, str]) -> object | None:
    if not env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip():
        return None
    from telemetry import configure_telemetry
    from telemetry.audit_events import AuditEventEmitter
    from telemetry.settings import TelemetrySettings

    problems: list[str] = []
    settings = TelemetrySettings.read(env, problems)
    if problems:
        raise _Usage("; ".join(problems))
    configure_telemetry(settings)
    return AuditEventEmitter()


async def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    tables: TableProvider | None = None,
    namespace: str = "",
) -> int:
    """Run one command (``argv`` without the program name); returns the exit code.

    ``tables`` replaces the provider built from ``env`` (tests; it is not closed here); ``namespace``
    prefixes the policy's and the audit's table names (tests keep installations apart).
    """
    from app.policy.operations import PolicyAdmin

    try:
        options = _parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse printed the usage
        return int(exc.code or 0)
    try:
        if options.command == "validate":
            policy = load_policy_file(options.file)
            print(f"{options.file}: valid ({policy.counts()})", file=err)
            return 0
        actor = _actor(getattr(options, "actor", ""))
        policy = load_policy_file(options.file, actor=actor) if options.command == "import" else None
        provider = tables or _tables(env)
        try:
            admin = PolicyAdmin(
                provider,
                audit=TableAuditStore(provider, table_name=namespace + "audit"),
                events=_audit_events(env),  # type: ignore[arg-type]
                namespace=namespace,
            )
            return await _storage_command(admin, options, policy, actor, out, err)
        finally:
            if tables is None:
                await provider.close()
    except PolicyFileError as exc:
        for problem in exc.problems:
            print(str(problem), file=err)
        print(f"{len(exc.problems)} problem(s); nothing was changed.", file=err)
        return 1
    except _Usage as exc:
        print(f"error: {exc}", file=err)
        return 2


async def _storage_command(
    admin: object, options: argparse.Namespace, policy: Policy | None, actor: str, out: TextIO, err: TextIO
) -> int:
    from app.policy.operations import PolicyAdmin

    assert isinstance(admin, PolicyAdmin)
    try:
        if options.command == "import":
            assert policy is not None
            if options.dry_run:
                changes = await admin.plan(policy)
                for change in changes:
                    print(f"would have {change}", file=err)
                print(f"{options.file}: valid ({policy.counts()}); {len(changes)} change(s); dry run, nothing written",
                      file=err)
                return 0
            result = await admin.import_policy(policy, actor=actor, source=str(options.file))
            for change in result.changes:
                print(str(change), file=err)
            for warning in result.warnings:
                print(f"warning: {warning}", file=err)
            print(f"imported {options.file}: {policy.counts()}; {len(result.changes)} change(s); active version "
                  f"{result.version} (audit: request id {result.import_id})", file=err)
            return 0
        if options.command == "export":
            text = render_policy(await admin.export())
            if options.file is None:
                out.write(text)
            else:
                options.file.write_text(text, encoding="utf-8")
                print(f"exported the active policy to {options.file}", file=err)
            return 0
        if not _OBJECT_ID.match(options.user.strip()):
            raise _Usage(f"--user: expected an Entra object id (8-4-4-4-12 hex digits), got {options.user[:60]!r}")
        try:
            result = await admin.bootstrap_admin(options.user, options.scope, actor=actor, reason=options.reason)
        except ScopeError as exc:
            raise _Usage(f"--scope: {exc}") from None
        verb = "is now" if result.created else "was already"
        print(f"{result.grant.principal.id} {verb} an admin of {result.grant.scope} (grant {result.grant.id})",
              file=err)
        return 0
    except RecordConflict:
        print("error: another import changed the policy while this one ran; nothing was changed. Run it again.",
              file=err)
        return 1
    except StoreUnavailable:
        print("error: the storage account could not be reached (see the log above); nothing was changed "
              "(an import leaves the previous policy active).", file=err)
        return 1
    except StoreError:
        print("error: the storage service refused a write (see the log above); nothing was changed "
              "(an import leaves the previous policy active).", file=err)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """The command line's entry point."""
    return asyncio.run(run(sys.argv[1:] if argv is None else argv, env=os.environ, out=sys.stdout, err=sys.stderr))
