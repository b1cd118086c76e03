"""The Switchboard turn benchmark: the dev host on Table Storage beside a plain botbuilder echo bot.

    python -m tests.bench.bench_turns [--turns 400] [--concurrency 1,8] [--prompt-turns 200]
                                      [--json PATH] [--skip-prompt] [--skip-imports]
    make bench ARGS='--turns 200 --json bench.json'

Everything runs on loopback, started and stopped here:

- Azurite (in memory), with a counting TCP proxy (:mod:`tests.bench.table_proxy`) in front of
  its Table service, so every Table Storage request of the bot is counted where it crosses the
  wire; the ARM sandbox (``python -m sandbox``) for the prompt turn's discovery;
- the connector stand-in (:class:`tests.support.connector.ConnectorStandIn`) receiving the replies;
- **Switchboard**: ``python -m tools.devhost`` (the real ``function_app``), settings from the
  environment: the Azurite connection string (Table endpoint through the proxy), the allowed
  tenant, no app id (anonymous, loopback);
- **the baseline**: ``python -m tests.bench.echo_bot`` (stock ``CloudAdapter`` + ``MemoryStorage``
  + ``ConversationState``, an aiohttp server), measured in the same run with the same load.

Measured: p50/p99 from request sent to reply received by the connector stand-in, turns per
second, Table Storage requests and sequential round trips per turn, for a ``help`` turn at each
concurrency and for a dialog prompt turn (``scale node pool aks-prod`` from a new user: the bot
discovers the cluster's node pools in the sandbox and asks which one); ``-X importtime`` of
``import function_app`` beside ``import botbuilder.core, azure.functions``; the cold first
request. Prints a table with PASS/FAIL per target; ``--json`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.load import RunResult, message, run_turns, spread
from tests.support.arm_sandbox import SandboxHandle
from tests.support.connector import TEST_TENANT_ID, ConnectorStandIn, teams_activity
from tools import azurite as azurite_tool
from tools.processes import ManagedProcess, ProcessSpec, Supervisor

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SUBSCRIPTIONS = "11111111-1111-1111-1111-111111111111,22222222-2222-2222-2222-222222222222"
RESOURCE_GROUPS = "rg-dev,rg-prod"
HELP_TEXT = "help"
PROMPT_TEXT = "scale node pool aks-prod"
PROMPT_REPLY = "Which node pool?"
HELP_REPLY = "Here is what I can do"

# Targets (issue 2, item 9; issue 4, "Speed").
TARGET_THROUGHPUT_RATIO = 3.0  # Switchboard help turns/s >= 3x the echo baseline
TARGET_P50_RATIO = 0.5  # Switchboard help p50 <= half the echo baseline's
TARGET_HELP_ROUND_TRIPS = 1  # a turn that changes no state: one (parallel) read, no state write
TARGET_PROMPT_ROUND_TRIPS = 2  # a prompt turn: one parallel read, one write
# Every person's turn also inserts its delivery receipt (at most once), together with the read.
RECEIPT_WRITES = 1
TARGET_IMPORT_RATIO = 1.3  # import function_app within 1.3x botbuilder.core + azure.functions


# ---------------------------------------------------------------------------------------------- imports
def _importtime(code: str) -> tuple[dict[str, int], float]:
    """Top-level modules' cumulative import times (µs) of ``python -X importtime -c code``, and wall ms."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    wall_ms = (time.perf_counter() - started) * 1000
    top: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, _, rest = line.partition(":")
        _self_us, cumulative, name = (part for part in rest.split("|", 2))
        if name.startswith(" ") and not name.startswith("  "):  # one space after "|": top level
            top[name.strip()] = int(cumulative)
    return top, wall_ms


def measure_imports(repetitions: int) -> dict[str, Any]:
    """Median ``-X importtime`` totals of ``import function_app`` and of the bare SDK imports."""
    startup, _ = _importtime("pass")

    def total(code: str) -> tuple[float, float]:
        totals, walls = [], []
        for _ in range(repetitions):
            top, wall = _importtime(code)
            totals.append(sum(us for name, us in top.items() if name not in startup) / 1000)
            walls.append(wall)
        return statistics.median(totals), statistics.median(walls)

    app_ms, app_wall = total("import function_app")
    sdk_ms, sdk_wall = total("import botbuilder.core, azure.functions")
    return {
        "function_app_ms": round(app_ms, 1),
        "botbuilder_core_and_azure_functions_ms": round(sdk_ms, 1),
        "ratio": round(app_ms / sdk_ms, 2),
        "function_app_process_wall_ms": round(app_wall, 1),
        "sdk_process_wall_ms": round(sdk_wall, 1),
        "repetitions": repetitions,
    }


# ---------------------------------------------------------------------------------------------- processes
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` (None: this process, all threads)."""
    if pid is None:
        return time.process_time()
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


class CpuMeter:
    """CPU time used by named processes while :meth:`measuring`, added up until :meth:`reset`."""

    def __init__(self, processes: dict[str, int | None]) -> None:
        self._processes = processes
        self._used: dict[str, float] = dict.fromkeys(processes, 0.0)

    def reset(self) -> None:
        self._used = dict.fromkeys(self._processes, 0.0)

    @contextlib.contextmanager
    def measuring(self) -> Iterator[None]:
        started = {name: cpu_seconds(pid) for name, pid in self._processes.items()}
        try:
            yield
        finally:
            for name, pid in self._processes.items():
                self._used[name] += cpu_seconds(pid) - started[name]

    def per_turn(self, turns: int) -> dict[str, float]:
        return {name: round(used * 1000 / turns, 2) for name, used in self._used.items()}


@dataclass
class TableCounter:
    """The control API of the counting proxy."""

    url: str

    def _call(self, method: str, path: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    def reset(self) -> None:
        self._call("POST", "/reset")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")


def _spec(name: str, argv: Sequence[str], ready: str, env: dict[str, str] | None = None) -> ProcessSpec:
    return ProcessSpec(name=name, argv=list(argv), cwd=ROOT, env=env, ready_pattern=ready, ready_timeout=60)


def _host_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a bot host: this one without Switchboard/Bot settings, plus ``extra``."""
    drop = ("Microsoft", "SWITCHBOARD_", "Switchboard", "APPLICATIONINSIGHTS", "APP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


# ---------------------------------------------------------------------------------------------- the turns
def help_lanes(turns: int, concurrency: int, service_url: str, tag: str) -> list[list[dict[str, Any]]]:
    """``help`` in ``concurrency`` personal chats (the same chats for both bots)."""
    return spread(turns, concurrency, lambda _i, lane: message(HELP_TEXT, service_url, f"a:bench-{tag}-{lane}"))


def prompt_lanes(turns: int, concurrency: int, service_url: str, tag: str) -> list[list[dict[str, Any]]]:
    """``@Switchboard scale node pool aks-prod`` in channel threads, each from a new user (a new dialog)."""

    def make(i: int, lane: int) -> dict[str, Any]:
        user = uuid.uuid4()
        return message(
            PROMPT_TEXT,
            service_url,
            f"19:bench-{tag}-{lane}@thread.tacv2;messageid=1700000000{lane:03d}",
            conversation_type="channel",
            mention_bot=True,
            user_id=f"29:bench-user-{user.hex[:12]}",
            user_aad_object_id=str(user),
        )

    return spread(turns, concurrency, make)


def install_lanes(concurrency: int, service_url: str, tag: str) -> list[list[dict[str, Any]]]:
    """The bot installed in each chat first (it stores the reference and greets), as in Teams."""
    return [
        [
            teams_activity(
                "installationUpdate",
                action="add",
                service_url=service_url,
                conversation_id=f"a:bench-{tag}-{lane}",
                activity_id=uuid.uuid4().hex,
            )
        ]
        for lane in range(concurrency)
    ]


def run(
    url: str, lanes: list[list[dict[str, Any]]], connector: ConnectorStandIn, *, expect_replies: bool = True
) -> RunResult:
    result = asyncio.run(run_turns(url, lanes, connector, expect_replies=expect_replies))
    if result.failures:
        raise RuntimeError(
            f"{result.failures} of {result.turns} turns failed (HTTP {dict(result.statuses)}, "
            f"{result.missing_replies} without a reply)"
        )
    return result


def per_turn(stats: dict[str, Any], turns: int) -> dict[str, Any]:
    requests = stats["requests"]
    return {
        "requests_per_turn": round(stats["total_requests"] / turns, 2),
        "reads_per_turn": round(requests.get("read", 0) / turns, 2),
        "writes_per_turn": round(requests.get("write", 0) / turns, 2),
        "deletes_per_turn": round(requests.get("delete", 0) / turns, 2),
        "round_trips_per_turn": round(stats["round_trips"] / turns, 2),
        "table_latency_ms_p50": None if stats["latency_ms_p50"] is None else round(stats["latency_ms_p50"], 2),
    }


@dataclass
class Stack:
    """What the bots run against: Azurite, the counting proxy, the sandbox, the connector stand-in."""

    supervisor: Supervisor
    connector: ConnectorStandIn
    azurite: ManagedProcess
    direct_storage: str  # connection string straight to Azurite
    counted_storage: str  # connection string whose Table endpoint is the counting proxy
    counter: TableCounter
    sandbox: ManagedProcess | None

    @property
    def sandbox_url(self) -> str | None:
        return self.sandbox.ready_matches[0].group(1) if self.sandbox is not None else None


def switchboard_env(args: argparse.Namespace, stack: Stack, storage: str) -> dict[str, str]:
    """Switchboard's settings for a local, anonymous run with its state in ``storage``."""
    return _host_env(
        {
            "MicrosoftAppId": "",
            "SwitchboardStorage": storage,
            "SWITCHBOARD_ALLOWED_TENANTS": TEST_TENANT_ID,
            "SWITCHBOARD_SUBSCRIPTIONS": SUBSCRIPTIONS,
            "SWITCHBOARD_RESOURCE_GROUPS": RESOURCE_GROUPS,
            **({"SWITCHBOARD_ARM_SANDBOX_URL": stack.sandbox_url} if stack.sandbox_url else {}),
            **({"SWITCHBOARD_LOG_LEVEL": args.log_level} if args.log_level else {}),
        }
    )


def start_devhost(args: argparse.Namespace, stack: Stack, name: str, storage: str) -> tuple[ManagedProcess, str, float]:
    """``python -m tools.devhost`` with Switchboard's settings; returns it, its messages URL and its start time (s)."""
    env = switchboard_env(args, stack, storage)
    started = time.monotonic()
    argv = [PYTHON, "-m", "tools.devhost", "--port", "0"]
    host = stack.supervisor.start(_spec(name, argv, r"listening on (\S+)", env))
    return host, host.ready_matches[0].group(1), time.monotonic() - started


def cold_start(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    """``import function_app`` and its first two requests in a fresh process (:mod:`tests.bench.cold_start`)."""
    done = subprocess.run(
        [PYTHON, "-m", "tests.bench.cold_start", "--service-url", stack.connector.service_url],
        cwd=ROOT,
        env=switchboard_env(args, stack, stack.direct_storage),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"cold start measurement failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(lines[-1]))


@dataclass
class Bot:
    """A bot under measurement: where to send activities, whose CPU to count, what it answers to help."""

    name: str
    url: str
    cpu: CpuMeter
    help_reply: str


def merge(results: Sequence[RunResult]) -> RunResult:
    """One result from the slices of a run (turns, wall time and latencies added up)."""
    merged = RunResult(turns=0, concurrency=results[0].concurrency, elapsed_s=0.0, latencies_ms=[])
    for result in results:
        merged.turns += result.turns
        merged.elapsed_s += result.elapsed_s
        merged.latencies_ms.extend(result.latencies_ms)
        merged.statuses.update(result.statuses)
        merged.missing_replies += result.missing_replies
        merged.reply_texts.update(result.reply_texts)
    return merged


def measure_help(bots: Sequence[Bot], turns: int, concurrency: int, connector: ConnectorStandIn) -> dict[str, Any]:
    """``help`` turns on every bot, interleaved A B B A in two halves so load drift on the machine
    (other processes) affects each bot alike; returns each bot's figures by name."""
    halves = (turns // 2, turns - turns // 2)
    order = [(bot, halves[0]) for bot in bots] + [(bot, halves[1]) for bot in reversed(bots)]
    slices: dict[str, list[RunResult]] = {bot.name: [] for bot in bots}
    for bot in bots:
        bot.cpu.reset()
    for bot, count in order:
        with bot.cpu.measuring():
            lanes = help_lanes(count, concurrency, connector.service_url, "chat")
            slices[bot.name].append(run(bot.url, lanes, connector))
    figures = {}
    for bot in bots:
        result = merge(slices[bot.name])
        _check_replies(result, bot.help_reply)
        figures[bot.name] = {**result.summary(), "cpu_ms_per_turn": bot.cpu.per_turn(result.turns)}
    return figures


def bench(args: argparse.Namespace, stack: Stack, log: Callable[[str], None]) -> dict[str, Any]:
    """Timed runs on a dev host talking to Azurite directly and on the echo bot; then storage counted on a
    second, identical dev host whose Table endpoint is the counting proxy (so the proxy's extra hop never
    slows the timed runs)."""
    connector = stack.connector
    sb: dict[str, Any] = {"cold_start": cold_start(args, stack)}
    log(f"Switchboard cold start (as the Functions host): {sb['cold_start']}")
    host, url, ready_s = start_devhost(args, stack, "devhost", stack.direct_storage)
    sb["devhost_start_to_ready_ms"] = round(ready_s * 1000, 1)
    echo_host = stack.supervisor.start(_spec("echo-bot", [PYTHON, "-m", "tests.bench.echo_bot"], r"listening on (\S+)"))

    processes: dict[str, int | None] = {"devhost": host.pid, "azurite": stack.azurite.pid}
    if stack.sandbox is not None:
        processes["arm sandbox"] = stack.sandbox.pid
    switchboard = Bot("switchboard", url, CpuMeter({**processes, "driver+connector": None}), HELP_REPLY)
    echo = Bot(
        "echo",
        echo_host.ready_matches[0].group(1),
        CpuMeter({"echo bot": echo_host.pid, "driver+connector": None}),
        "Echo: help",
    )
    widest = max(args.concurrency)
    run(url, install_lanes(widest, connector.service_url, "chat"), connector, expect_replies=False)
    for bot in (switchboard, echo):
        run(bot.url, help_lanes(args.warmup * widest, widest, connector.service_url, "chat"), connector)
    sb["help"], echo_figures = {}, {"help": {}}
    for concurrency in args.concurrency:
        both = measure_help([echo, switchboard], args.turns, concurrency, connector)
        sb["help"][concurrency], echo_figures["help"][concurrency] = both["switchboard"], both["echo"]
        for name, data in both.items():
            log(f"{name} help C={concurrency}: {data['turns_per_s']:.0f} turns/s, p50 {data['p50_ms']:.1f} ms")
    echo_host.stop()

    if stack.sandbox_url:
        run(url, prompt_lanes(args.warmup * widest, widest, connector.service_url, "warm"), connector)
        sb["prompt"] = {}
        for concurrency in args.concurrency:
            switchboard.cpu.reset()
            lanes = prompt_lanes(args.prompt_turns, concurrency, connector.service_url, "thread")
            with switchboard.cpu.measuring():
                result = run(url, lanes, connector)
            _check_replies(result, PROMPT_REPLY)
            sb["prompt"][concurrency] = {**result.summary(), "cpu_ms_per_turn": switchboard.cpu.per_turn(result.turns)}
            log(f"switchboard prompt C={concurrency}: {result.turns_per_s:.0f} turns/s, p50 {result.p50_ms:.1f} ms")
    host.stop()

    # Storage calls, counted where they cross the wire, on the same code with the proxy in the path.
    counted, counted_url, _ = start_devhost(args, stack, "devhost-counted", stack.counted_storage)
    run(counted_url, install_lanes(widest, connector.service_url, "chat"), connector, expect_replies=False)
    kinds: dict[str, Callable[[int, int, str], list[list[dict[str, Any]]]]] = {
        "help": lambda n, c, tag: help_lanes(n, c, connector.service_url, tag)
    }
    if stack.sandbox_url:
        kinds["prompt"] = lambda n, c, tag: prompt_lanes(n, c, connector.service_url, tag)
    for kind, lanes in kinds.items():
        run(counted_url, lanes(args.warmup, 1, "chat" if kind == "help" else "warm"), connector)
        for concurrency in args.concurrency:
            turns = min(args.count_turns, args.turns if kind == "help" else args.prompt_turns)
            stack.counter.reset()
            if stack.sandbox_url:
                SandboxHandle(stack.sandbox_url).clear_requests()
            result = run(counted_url, lanes(turns, concurrency, "chat" if kind == "help" else "thread"), connector)
            sb[kind][concurrency].update(per_turn(stack.counter.stats(), result.turns))
            if stack.sandbox_url:
                arm = len(SandboxHandle(stack.sandbox_url).requests())
                sb[kind][concurrency]["arm_requests_per_turn"] = round(arm / result.turns, 2)
    counted.stop()
    return {"switchboard": sb, "echo": echo_figures}


def _check_replies(result: RunResult, expected_start: str) -> None:
    wrong = {text: n for text, n in result.reply_texts.items() if not text.startswith(expected_start[:40])}
    if wrong:
        raise RuntimeError(f"unexpected replies (expected {expected_start!r}...): {wrong}")


# ---------------------------------------------------------------------------------------------- verdicts
def verdicts(figures: dict[str, Any]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    sb, echo = figures["switchboard"], figures["echo"]
    for concurrency, mine in sb["help"].items():
        base = echo["help"][concurrency]
        ratio = mine["turns_per_s"] / base["turns_per_s"]
        checks.append(
            {
                "target": f"help C={concurrency}: turns/s >= {TARGET_THROUGHPUT_RATIO:g}x echo",
                "measured": f"{ratio:.2f}x ({mine['turns_per_s']} vs {base['turns_per_s']})",
                "pass": ratio >= TARGET_THROUGHPUT_RATIO,
            }
        )
        p50_ratio = mine["p50_ms"] / base["p50_ms"]
        checks.append(
            {
                "target": f"help C={concurrency}: p50 <= {TARGET_P50_RATIO:g}x echo",
                "measured": f"{p50_ratio:.2f}x ({mine['p50_ms']} vs {base['p50_ms']} ms)",
                "pass": p50_ratio <= TARGET_P50_RATIO,
            }
        )
    serial = sb["help"][min(sb["help"])]
    checks.append(
        {
            "target": f"help (changes no state): <= {TARGET_HELP_ROUND_TRIPS} storage round trip, "
            "no write but the delivery receipt",
            "measured": f"{serial['round_trips_per_turn']} round trips, {serial['requests_per_turn']} requests "
            f"({serial['reads_per_turn']} reads in parallel, {serial['writes_per_turn']} writes) per turn",
            "pass": serial["round_trips_per_turn"] <= TARGET_HELP_ROUND_TRIPS
            and serial["writes_per_turn"] <= RECEIPT_WRITES,
        }
    )
    if "prompt" in sb:
        serial = sb["prompt"][min(sb["prompt"])]
        checks.append(
            {
                "target": f"prompt turn: <= {TARGET_PROMPT_ROUND_TRIPS} storage round trips "
                "(one read with the receipt, one write)",
                "measured": f"{serial['round_trips_per_turn']} round trips, "
                f"{serial['reads_per_turn']} reads in parallel + {serial['writes_per_turn']} write per turn",
                "pass": serial["round_trips_per_turn"] <= TARGET_PROMPT_ROUND_TRIPS
                and serial["writes_per_turn"] <= 1 + RECEIPT_WRITES,
            }
        )
    if "imports" in figures:
        imports = figures["imports"]
        checks.append(
            {
                "target": f"import function_app <= {TARGET_IMPORT_RATIO:g}x botbuilder.core + azure.functions",
                "measured": f"{imports['ratio']:.2f}x ({imports['function_app_ms']} vs "
                f"{imports['botbuilder_core_and_azure_functions_ms']} ms)",
                "pass": imports["ratio"] <= TARGET_IMPORT_RATIO,
            }
        )
    return checks


def render(figures: dict[str, Any]) -> str:
    sb, echo = figures["switchboard"], figures["echo"]
    lines = [
        f"Switchboard turn benchmark — {figures['cpus']} CPU(s), {figures['turns']} turns per run "
        f"({figures['prompt_turns']} prompt turns)",
        "",
        f"{'turn':<22}{'C':>3}{'turns/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'bot CPU ms':>12}"
        f"{'table req/turn':>16}{'round trips':>13}",
    ]

    def row(name: str, concurrency: int, data: dict[str, Any]) -> str:
        requests = data.get("requests_per_turn")
        trips = data.get("round_trips_per_turn") if concurrency == 1 else None
        bot_cpu = next(iter(data["cpu_ms_per_turn"].values()))
        return (
            f"{name:<22}{concurrency:>3}{data['turns_per_s']:>10.1f}{data['p50_ms']:>9.1f}{data['p99_ms']:>9.1f}"
            f"{bot_cpu:>12.2f}"
            f"{'-' if requests is None else f'{requests:.2f}':>16}{'-' if trips is None else f'{trips:.2f}':>13}"
        )

    for concurrency in sb["help"]:
        lines.append(row("echo baseline (help)", concurrency, echo["help"][concurrency]))
        lines.append(row("Switchboard help", concurrency, sb["help"][concurrency]))
        mine, base = sb["help"][concurrency], echo["help"][concurrency]
        lines.append(
            f"{'  ratio':<22}{'':>3}{mine['turns_per_s'] / base['turns_per_s']:>9.2f}x"
            f"{mine['p50_ms'] / base['p50_ms']:>8.2f}x{mine['p99_ms'] / base['p99_ms']:>8.2f}x"
        )
        if "prompt" in sb:
            prompt = sb["prompt"][concurrency]
            lines.append(row("Switchboard prompt", concurrency, prompt))
            lines.append(f"{'  p50 vs echo':<22}{'':>3}{'':>10}{prompt['p50_ms'] / base['p50_ms']:>8.2f}x")
        lines.append("")
    lines.append(
        "bot CPU: CPU time of the bot's process per turn; table req/turn and round trips: counted by a proxy in "
        "front of Azurite on an identical dev host (round trips at C=1; requests issued together count once)"
    )
    if "prompt" in sb:
        prompt = sb["prompt"][min(sb["prompt"])]
        lines.append(
            f"prompt turn: '@Switchboard {PROMPT_TEXT}' from a new user in a channel thread; discovery makes "
            f"{prompt.get('arm_requests_per_turn', 0):g} ARM sandbox calls per turn"
        )
    cold = sb["cold_start"]
    lines.append(
        f"cold start as on Functions (fresh process): import function_app {cold['import_ms']:.0f} ms, "
        f"first request (composes the app, creates tables) {cold['first_request_ms']:.0f} ms, "
        f"second {cold['second_request_ms']:.0f} ms; the dev host composes before listening: "
        f"start to ready {sb['devhost_start_to_ready_ms']:.0f} ms"
    )
    if "imports" in figures:
        imports = figures["imports"]
        lines.append(
            f"-X importtime (median of {imports['repetitions']}): "
            f"import function_app {imports['function_app_ms']:.0f} ms"
            f" | import botbuilder.core, azure.functions {imports['botbuilder_core_and_azure_functions_ms']:.0f} ms"
            f" | ratio {imports['ratio']:.2f}"
        )
    lines.append("")
    for check in figures["verdicts"]:
        lines.append(f"{'PASS' if check['pass'] else 'FAIL'}  {check['target']}: {check['measured']}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- main
def _concurrencies(text: str) -> list[int]:
    values = sorted({int(part) for part in text.split(",") if part.strip()})
    if not values or values[0] < 1 or values[-1] > 64:
        raise argparse.ArgumentTypeError("concurrency levels between 1 and 64, e.g. 1,8")
    return values


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low}..{high}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_turns", description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=_bounded(10, 5000), default=400, help="help turns per run (default 400)")
    parser.add_argument("--concurrency", type=_concurrencies, default=[1, 8], help="levels, e.g. 1,8 (default)")
    parser.add_argument("--prompt-turns", type=_bounded(10, 2000), default=200, help="prompt turns per run (200)")
    parser.add_argument(
        "--count-turns", type=_bounded(10, 2000), default=100, help="turns per storage-counting run (100)"
    )
    parser.add_argument("--warmup", type=_bounded(1, 200), default=10, help="warm-up turns per conversation (10)")
    parser.add_argument("--import-repetitions", type=_bounded(1, 20), default=5, help="importtime runs each (5)")
    parser.add_argument("--skip-prompt", action="store_true", help="no prompt turns (no ARM sandbox)")
    parser.add_argument("--skip-imports", action="store_true", help="no import-time measurement")
    parser.add_argument("--log-level", default=None, help="SWITCHBOARD_LOG_LEVEL of the dev host (default: its own)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this path")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        print(f"[bench] {text}", file=sys.stderr, flush=True)

    began = time.monotonic()
    figures: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "turns": args.turns,
        "prompt_turns": 0 if args.skip_prompt else args.prompt_turns,
        "concurrency": args.concurrency,
    }
    if not args.skip_imports:
        figures["imports"] = measure_imports(args.import_repetitions)
        log(f"imports: {figures['imports']}")
    with Supervisor() as supervisor, ConnectorStandIn(style="bot_service") as connector:
        storage = azurite_tool.start(supervisor=supervisor)
        try:
            proxy = supervisor.start(
                _spec(
                    "table-proxy",
                    [PYTHON, "-m", "tests.bench.table_proxy", "--target", f"127.0.0.1:{storage.ports['Table']}"],
                    r"table proxy listening on 127\.0\.0\.1:(\d+) control (\S+)",
                )
            )
            sandbox = None
            if not args.skip_prompt:
                sandbox = supervisor.start(
                    _spec("sandbox", [PYTHON, "-m", "sandbox", "--port", "0"], r"ARM sandbox listening on (\S+)")
                )
            stack = Stack(
                supervisor=supervisor,
                connector=connector,
                azurite=storage.process,
                direct_storage=storage.connection_string,
                counted_storage=azurite_tool.connection_string(
                    dict(storage.ports, Table=int(proxy.ready_matches[0].group(1)))
                ),
                counter=TableCounter(proxy.ready_matches[0].group(2)),
                sandbox=sandbox,
            )
            figures.update(bench(args, stack, log))
        finally:
            storage.stop()
    figures["verdicts"] = verdicts(figures)
    figures["elapsed_s"] = round(time.monotonic() - began, 1)
    print(render(figures))
    print(f"(whole benchmark: {figures['elapsed_s']} s)")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if all(check["pass"] for check in figures["verdicts"]) else 1


if __name__ == "__main__":
    sys.exit(main())
