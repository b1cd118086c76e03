"""``python -m actions``: list, describe, preview and run actions from a terminal.

Settings come from the environment (``SWITCHBOARD_ARM_SANDBOX_URL``, ``SWITCHBOARD_SUBSCRIPTIONS``,
``SWITCHBOARD_RESOURCE_GROUPS``, ``SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS``). Against real Azure the
CLI acts with *your* identity (``DefaultAzureCredential``: Azure CLI login, environment, managed
identity) and bypasses the bot's grants and approvals: it is an operator's tool.

Exit codes: 0 done, 1 the action failed or timed out, 2 unknown action / invalid parameters /
user error, 3 settings error. Errors are printed as one readable message, never a stack trace
(``--verbose`` logs details to stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from actions.context import ActionContext, ClientOptions
from actions.describe import describe
from actions.params import UnknownActionError, parse_command, resolve_all, suggest_actions
from actions.registry import Registry, default_registry
from actions.runner import poll_until_done
from actions.settings import ArmSettings
from actions.spec import ActionError, ProgressState
from appsettings import SettingsError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SETTINGS = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m actions", description="Switchboard's platform actions.")
    parser.add_argument("--verbose", action="store_true", help="log details (including Azure errors) to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list every action")
    describe_cmd = commands.add_parser("describe", help="show one action's help, parameters and examples")
    describe_cmd.add_argument("name")
    for name, text in (("preview", "show what an action would change"), ("run", "run an action to completion")):
        cmd = commands.add_parser(name, help=text)
        words_help = "NAME k=v ... or a command (scale node pool aks-prod np1 to 5); options go before it"
        cmd.add_argument("words", nargs=argparse.REMAINDER, help=words_help)
        if name == "run":
            cmd.add_argument("--timeout", type=float, help="seconds to wait (default: the action's time limit)")
        cmd.add_argument("--poll-interval", type=float, default=2.0, help="seconds between status checks")
        cmd.add_argument("--retries", type=int, default=4, help="retries of a throttled or failed Azure request")
    return parser


def _print_error(error: ActionError, err: TextIO) -> None:
    print(f"error: {error.message}", file=err)
    for suggestion in error.suggestions:
        print(f"  try: {suggestion}", file=err)


def _list(registry: Registry, out: TextIO) -> int:
    width = max(len(action.name) for action in registry)
    for action in registry:
        print(f"{action.name.ljust(width)}  {action.summary}", file=out)
    return EXIT_OK


def _describe(registry: Registry, name: str, out: TextIO, err: TextIO) -> int:
    action = registry.get(name)
    if action is None:
        close = suggest_actions(registry, name)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        _print_error(UnknownActionError(f"I don't know the action {name!r}.{hint}"), err)
        print("  `python -m actions list` shows every action.", file=err)
        return EXIT_USAGE
    print(describe(action), file=out)
    return EXIT_OK


async def _preview_or_run(
    registry: Registry, arm: ArmSettings, options: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    if not options.words:
        example = "preview aks-scale-node-pool cluster=aks-prod pool=np1 count=5"
        _print_error(ActionError(f"Name the action and its parameters, e.g. `{example}`."), err)
        return EXIT_USAGE
    client_options = ClientOptions(polling_interval=options.poll_interval, retry_total=max(0, options.retries))
    async with ActionContext(arm, options=client_options) as ctx:
        command = parse_command(registry, shlex.join(options.words))
        args = await resolve_all(ctx, command.action, command.args)
        preview = await command.action.preview(ctx, args)
        print(preview.text, file=out)  # a no-op says "… — nothing to change"
        if options.command == "preview":
            return EXIT_OK
        progress = await command.action.start(ctx, args)
        print(progress.message, file=out, flush=True)
        progress = await poll_until_done(ctx, command.action, args, progress, timeout=options.timeout)
        if progress.state is not ProgressState.RUNNING and progress.message:
            print(progress.message, file=out)
        return EXIT_OK if progress.state is ProgressState.SUCCEEDED else EXIT_FAILED


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Run the CLI; returns the exit code."""
    options = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if options.verbose else logging.CRITICAL, stream=err)
    registry = default_registry()
    try:
        if options.command == "list":
            return _list(registry, out)
        if options.command == "describe":
            return _describe(registry, options.name, out, err)
        arm = ArmSettings.from_env(os.environ if env is None else env)
        return asyncio.run(_preview_or_run(registry, arm, options, out, err))
    except SettingsError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_SETTINGS
    except ActionError as exc:  # includes ParameterError
        _print_error(exc, err)
        if isinstance(exc, UnknownActionError):
            print("  `python -m actions list` shows every action.", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: an operation already started keeps running in Azure.", file=err)
        return EXIT_FAILED
    except Exception:
        logging.getLogger(__name__).exception("unexpected error")
        print("error: something unexpected went wrong. Run again with --verbose for details.", file=err)
        return EXIT_FAILED
