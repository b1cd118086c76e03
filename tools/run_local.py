"""`make run`: Switchboard locally — Azurite, the ARM sandbox, the dev host and the Agents Playground.

Starts each component in order, waits until it is ready (its ready line, then a health check),
prints the address to open, and stops everything (newest first, whole process groups) on Ctrl-C,
SIGTERM or SIGHUP. When any component fails to start or dies, the others are stopped and the
command exits 1 with the failed component's last output.

When it starts Azurite, it imports the demo guardrail policy (``tools/demo_policy.yaml``) into it
(``--no-demo-policy`` to skip); storage you configured yourself is left alone.

Settings: values already in the environment win, then the ``Values`` of ``local.settings.json``
(the file ``func start`` reads), then local defaults (see :mod:`tools.local_settings`).

    python -m tools.run_local                  # everything; open the printed Playground address
    python -m tools.run_local --no-playground  # only the bot and what it needs (e.g. for your own client)
    python -m tools.run_local --check          # start, send `help` through the Playground, stop
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tools import azurite, playground
from tools.local_settings import LocalPlan, LocalSettingsError, load_local_settings, plan_local_run
from tools.processes import (
    ManagedProcess,
    ProcessFailed,
    StopRequested,
    Supervisor,
    describe_exit,
    port_in_use,
    wait_for_http,
)
from tools.stack import DEVHOST_PORT, ROOT, ArmSandbox, DevHost, bot_environment, devhost_spec, sandbox_spec

DEMO_POLICY = ROOT / "tools" / "demo_policy.yaml"
"""The guardrail policy `make run` seeds (docs/security.md, "Bootstrapping an installation")."""

__all__ = ["main"]

CHECK_TIMEOUT = 30.0


class StartError(RuntimeError):
    """The local run cannot start for a reason the message explains (no component output to show)."""


@dataclass
class Running:
    """What :func:`start_stack` started, for the banner and the check."""

    azurite_ports: dict[str, int]
    sandbox_url: str | None
    devhost: DevHost
    playground_url: str | None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.run_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-playground", action="store_true", help="do not start the Agents Playground")
    parser.add_argument(
        "--check",
        action="store_true",
        help="start everything, send `help` through the Playground's HTTP API, print the reply and stop",
    )
    parser.add_argument("--port", type=int, default=DEVHOST_PORT, help="dev host port on 127.0.0.1 (default 3978)")
    parser.add_argument(
        "--playground-port",
        type=int,
        default=playground.DEFAULT_PORT,
        help=f"Playground port (default {playground.DEFAULT_PORT}; it moves to a free port when taken)",
    )
    parser.add_argument(
        "--settings",
        type=Path,
        default=ROOT / "local.settings.json",
        help="a local.settings.json whose Values apply under the environment (default: the repository's, if any)",
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=ROOT / ".run",
        help="where component logs (logs/) and the Playground's devTools/ go (default .run/, ignored by git)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not echo the components' output (see the logs)")
    parser.add_argument(
        "--no-demo-policy",
        action="store_true",
        help=f"do not import the demo policy ({DEMO_POLICY.relative_to(ROOT)}) into the Azurite this run starts",
    )
    args = parser.parse_args(argv)
    if args.check and args.no_playground:
        parser.error("--check sends its message through the Playground: drop --no-playground")
    return args


def echo_line(name: str, line: str) -> None:
    """Print one line of a component's output, prefixed with its name."""
    print(f"{name:>10} | {line}", flush=True)


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def seed_demo_policy(connection_string: str, path: Path | None = None) -> bool:
    """Import the demo policy into the fresh Azurite (``python -m app.policy import``); warn and go on if it fails.

    Only into the Azurite this run started: storage configured by the user keeps its own policy.
    """
    from app.policy.cli import run as policy_cli

    path = path or DEMO_POLICY
    say(f"importing the demo policy {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ...")
    err = io.StringIO()
    code = asyncio.run(policy_cli(["import", str(path)], env={"SwitchboardStorage": connection_string},
                                  out=io.StringIO(), err=err))
    if code != 0:
        lines = err.getvalue().strip().splitlines()
        say(f"warning: the demo policy was not imported: {lines[-1] if lines else f'exit code {code}'}")
        return False
    return True


def start_stack(supervisor: Supervisor, plan: LocalPlan, args: argparse.Namespace) -> Running:
    """Start every component the plan asks for, in order, each ready before the next starts."""
    echo = None if (args.quiet or args.check) else echo_line
    logs: Path = args.run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    storage = plan.storage.connection_string
    azurite_ports: dict[str, int] = {}
    if plan.storage.start_azurite:
        say("starting Azurite (in memory, loopback) ...")
        ports = plan.storage.azurite_ports
        instance = azurite.start(
            blob_port=ports.get("Blob", 0),
            queue_port=ports.get("Queue", 0),
            table_port=ports.get("Table", 0),
            supervisor=supervisor,
            log_path=logs / "azurite.log",
            echo=echo,
        )
        storage = storage or instance.connection_string
        azurite_ports = instance.ports
        if not args.no_demo_policy:
            seed_demo_policy(instance.connection_string)
    elif plan.storage.note:
        say(plan.storage.note)

    sandbox_url = plan.sandbox.url
    if plan.sandbox.start:
        say("starting the ARM sandbox ...")
        spec = sandbox_spec(port=plan.sandbox.port, log_path=logs / "sandbox.log", echo=echo)
        started = ArmSandbox.from_process(supervisor.start(spec))
        sandbox_url = sandbox_url or started.url
    elif plan.sandbox.note:
        say(plan.sandbox.note)

    if port_in_use(args.port):
        raise StartError(
            f"port {args.port} on 127.0.0.1 is already in use (another `make run`?): "
            f"stop that process, or use another port: make run ARGS='--port {args.port + 1}'"
        )
    say(f"starting the dev host on 127.0.0.1:{args.port} ...")
    env = bot_environment(storage_connection_string=storage, sandbox_url=sandbox_url, base=plan.environment)
    process = supervisor.start(devhost_spec(environ=env, port=args.port, log_path=logs / "devhost.log", echo=echo))
    devhost = DevHost.from_process(process)
    wait_for_http(devhost.health_url, process=process, timeout=30)

    playground_url = None
    if not args.no_playground:
        say("starting the Agents Playground ...")
        process = supervisor.start(
            playground.spec(
                devhost.messages_url,
                port=args.playground_port,
                workdir=args.run_dir,
                open_browser=playground.has_display() and not args.check,
                log_path=logs / "playground.log",
                echo=echo,
            )
        )
        port = playground.listening_port(process.ready_matches)
        if port != args.playground_port:
            say(f"port {args.playground_port} was taken: the Playground listens on {port} instead")
        playground_url = f"http://localhost:{port}"
        wait_for_http(f"http://127.0.0.1:{port}/_internal/v1/config", process=process, timeout=15)
    return Running(
        azurite_ports=azurite_ports, sandbox_url=sandbox_url, devhost=devhost, playground_url=playground_url
    )


def banner(running: Running, run_dir: Path) -> str:
    """What to open and where things are, printed once everything is ready."""
    lines = ["", "Switchboard is running locally."]
    if running.playground_url:
        lines.append(f"  Open the Agents Playground:  {running.playground_url}")
    lines.append(f"  Bot endpoint:                {running.devhost.messages_url}")
    if running.sandbox_url:
        lines.append(f"  ARM sandbox:                 {running.sandbox_url}")
    if running.azurite_ports:
        services = ", ".join(f"{name.lower()} {port}" for name, port in sorted(running.azurite_ports.items()))
        lines.append(f"  Azurite (in memory):         127.0.0.1 ports {services}")
    lines.append(f"  Logs:                        {run_dir / 'logs'}/")
    if running.playground_url:
        lines.append("  Try: help   (in a channel, @mention the bot first: type @, pick Test Bot, then help)")
    lines.append("  Ctrl-C stops everything.")
    lines.append("")
    return "\n".join(lines)


async def check_help(playground_url: str, within: float = CHECK_TIMEOUT) -> str:
    """Send `help` in the personal chat through the Playground's HTTP API and return the bot's reply text."""
    async with aiohttp.ClientSession() as session:
        client = playground.PlaygroundClient(playground_url, session)
        chat = await client.personal_chat_id()
        async with client.stream() as stream:
            sent = await client.send(chat, "help")
            reply = await stream.next_message(sent.conversation_id, within=within)
    return reply.text or f"({len(reply.attachments)} attachment(s))"


def fail(message: str, children: Sequence[ManagedProcess] = (), run_dir: Path | None = None) -> int:
    """Report a failure on stderr (with the given children's output tails) and return exit code 1."""
    print(f"\n[make run] FAILED — {message}", file=sys.stderr, flush=True)
    for child in children:
        print(f"--- last output of {child.name} ---\n{child.tail(20).rstrip()}", file=sys.stderr, flush=True)
    if run_dir is not None:
        print(f"[make run] full logs: {run_dir / 'logs'}/", file=sys.stderr, flush=True)
    return 1


def run(args: argparse.Namespace) -> int:
    """Start, report, wait for a stop request or a death, stop. Returns the exit code."""
    try:
        local_values = load_local_settings(args.settings)
    except LocalSettingsError as exc:
        return fail(str(exc))
    plan = plan_local_run(os.environ, local_values, in_use=port_in_use)
    for warning in plan.warnings:
        say(f"warning: {warning}")

    with Supervisor() as supervisor:
        try:
            with supervisor.handle_signals():
                running = start_stack(supervisor, plan, args)
                if args.check:
                    assert running.playground_url is not None
                    say("check: sending `help` through the Playground ...")
                    reply = asyncio.run(check_help(running.playground_url))
                    say("check passed; the bot answered:")
                    print("    " + reply.replace("\n", "\n    "), flush=True)
                    return 0
                print(banner(running, args.run_dir), flush=True)
                exited = supervisor.run_until_stopped()
        except StopRequested:
            say("stopping ...")
            return 0
        except ProcessFailed as exc:
            return fail(str(exc), run_dir=args.run_dir)
        except StartError as exc:
            return fail(str(exc))
        except TimeoutError:
            return fail("the bot did not answer `help` in time", supervisor.children, args.run_dir)
        except (RuntimeError, OSError, aiohttp.ClientError) as exc:
            return fail(str(exc) or type(exc).__name__, supervisor.children, args.run_dir)
        if exited is not None:
            code = fail(
                str(ProcessFailed(exited.name, f"{describe_exit(exited.returncode)} unexpectedly", exited.tail())),
                run_dir=args.run_dir,
            )
            say("stopping the other components ...")
            return code
        say("stopping ...")
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if shutil.which("node") is None:
        return fail("Node.js is not on PATH: install Node.js 20 or newer (with npm)")
    code = run(args)
    if code == 0 and not args.check:
        say("stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
