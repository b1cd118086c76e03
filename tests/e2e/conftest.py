"""End-to-end fixtures: the real local stack on loopback, the Agents Playground, headless Chromium.

Process fixtures (session-scoped, started once, stopped with their whole process group even when
a test fails):

* ``arm_sandbox`` → :class:`tools.stack.ArmSandbox` (``url``, ``subscriptions``, ``resource_groups``)
* ``dev_host`` → :class:`tools.stack.DevHost` (``messages_url``, ``health_url``, ``process``), on a
  free port (port 0: the port it prints), with the session's Azurite, the sandbox, and the Playground's tenant allowed
* ``playground`` → :class:`PlaygroundServer` (``url``, ``port``, ``process``) pointed at the dev host

Async fixtures (they and every async test in ``tests/e2e`` run in the session's event loop):

* ``browser`` → a playwright ``Browser`` (the system Chromium, headless), one per session
* ``playground_page`` → :class:`tests.e2e.pages.PlaygroundPage`, a fresh page on the Playground
  (requests off loopback blocked), per test; a screenshot is saved when the test fails
* ``playground_client`` → :class:`tools.playground.PlaygroundClient` for the Playground's HTTP API
  and WebSocket stream, per test
* ``screenshots`` → :class:`tests.e2e.screenshots.Screenshots`, the docs' pictures: saved in the
  folder ``--screenshots DIR`` names (``make screenshots``: docs/images), checked on every run

Every test in this folder is marked ``e2e``; those using ``screenshots`` are marked ``screenshots`` too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright
from pytest_asyncio import is_async_test

from tests.e2e import screenshots as pictures
from tests.e2e.pages import PlaygroundPage
from tools import playground as playground_tool
from tools.processes import ManagedProcess, Supervisor, describe_exit, free_port, wait_for_http
from tools.run_local import seed_demo_policy
from tools.stack import ArmSandbox, DevHost, bot_environment, devhost_spec, sandbox_spec

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# Long-running sandbox operations stay InProgress this long: short, but long enough to be seen.
SANDBOX_OPERATION_DELAY = 1.0
# Settings the developer's shell might carry that would change the bot under test.
_BOT_SETTING_PREFIXES = (
    "Microsoft",
    "SwitchboardStorage",
    "SWITCHBOARD_",
    "APPLICATIONINSIGHTS_",
    "TO_BOT_",
    "TO_CHANNEL_",
    "OAUTH_URL",
)
_E2E_DIR = Path(__file__).resolve().parent
_REPORT = pytest.StashKey[pytest.TestReport]()
_STACK_FIXTURES = ("dev_host", "arm_sandbox", "playground")
_PICTURES_TAKEN = pytest.StashKey[set[str]]()


@dataclass(frozen=True)
class PlaygroundServer:
    """A running Agents Playground: open ``url`` in the browser; its HTTP API lives there too."""

    url: str
    port: int
    process: ManagedProcess
    workdir: Path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        pictures.OPTION,
        metavar="DIR",
        default=None,
        help="save the docs' pictures the end-to-end journeys take in DIR (make screenshots: docs/images)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{pictures.MARKER}: end-to-end tests that take the docs' pictures")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``e2e`` (and ``screenshots`` when it takes pictures), and run the async
    ones in the session loop the fixtures live in."""
    session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if _E2E_DIR not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if "screenshots" in getattr(item, "fixturenames", ()):
            item.add_marker(pictures.MARKER)
        if is_async_test(item):
            item.add_marker(session_loop, append=False)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each call's report for fixtures, and attach the stack's output to a failed test's report."""
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_REPORT] = report
    if report.failed and report.when in ("setup", "call"):
        funcargs = getattr(item, "funcargs", {})
        for name in _STACK_FIXTURES:
            running = funcargs.get(name)
            process = getattr(running, "process", None)
            if isinstance(process, ManagedProcess):
                # Whether it still runs (and how it ended if not) tells a crash from a slow answer.
                title = f"{name} (pid {process.popen.pid}, {describe_exit(process.returncode)}) output (last lines)"
                report.sections.append((title, process.tail(60)))
    return report


def bot_free_environment() -> dict[str, str]:
    """The environment without the settings a developer's shell might carry for the bot."""
    return {key: value for key, value in os.environ.items() if not key.startswith(_BOT_SETTING_PREFIXES)}


@pytest.fixture(scope="session")
def arm_sandbox() -> Iterator[ArmSandbox]:
    """The ARM sandbox (``python -m sandbox``) with its demo estate, on a free loopback port."""
    with Supervisor() as supervisor:
        process = supervisor.start(sandbox_spec(operation_delay=SANDBOX_OPERATION_DELAY))
        yield ArmSandbox.from_process(process)


@pytest.fixture(scope="session")
def dev_host(storage_connection_string: str, arm_sandbox: ArmSandbox) -> Iterator[DevHost]:
    """The dev host (``python -m tools.devhost``) on a free loopback port, healthy before it is yielded, on
    storage holding the demo policy (as ``make run`` seeds it): the guardrails decide every request."""
    assert seed_demo_policy(storage_connection_string), "the demo policy could not be imported"
    environment = bot_environment(
        storage_connection_string=storage_connection_string,
        sandbox_url=arm_sandbox.url,
        # Alex sends many requests across the session's journeys: the rate limit is not what they test.
        base={**bot_free_environment(), "SWITCHBOARD_LOG_LEVEL": "INFO", "SWITCHBOARD_RATE_LIMIT_PER_HOUR": "10000"},
    )
    with Supervisor() as supervisor:
        process = supervisor.start(devhost_spec(environ=environment, port=0))  # it prints the port it got
        host = DevHost.from_process(process)
        wait_for_http(host.health_url, process=process, timeout=30)
        yield host


@pytest.fixture(scope="session")
def playground(dev_host: DevHost, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaygroundServer]:
    """The Agents Playground pointed at the dev host, on a free port (its real port read from its output)."""
    workdir = tmp_path_factory.mktemp("playground")
    # A port found free may be taken before the Playground binds it: then it moves to another one
    # itself, and the port is read from its "Listening on N" line below, so the race is harmless.
    spec = playground_tool.spec(dev_host.messages_url, port=free_port(), workdir=workdir, open_browser=False)
    with Supervisor() as supervisor:
        process = supervisor.start(spec)
        port = playground_tool.listening_port(process.ready_matches)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/_internal/v1/config", process=process, timeout=15)
        yield PlaygroundServer(url=url, port=port, process=process, workdir=workdir)


def chromium_executable() -> str:
    """The system Chromium: ``SWITCHBOARD_CHROMIUM``, else /usr/bin/chromium, else on PATH."""
    candidates = [os.environ.get("SWITCHBOARD_CHROMIUM", ""), "/usr/bin/chromium"]
    candidates += [shutil.which(name) or "" for name in ("chromium", "chromium-browser")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "Chromium not found: `make test` installs Debian's chromium (apt-get install chromium), "
        "or set SWITCHBOARD_CHROMIUM to a Chromium binary. Never `playwright install`.",
        pytrace=False,
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless system Chromium through playwright, shared by the session's tests."""
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(
            executable_path=chromium_executable(), args=list(CHROMIUM_ARGS), headless=True, timeout=30_000
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def playground_page(
    browser: Browser, playground: PlaygroundServer, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[PlaygroundPage]:
    """A fresh Playground page (its own browser context), loaded and ready to type in."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    context.set_default_timeout(30_000)  # a loaded 2-core machine (make test --stress) renders slowly
    page = PlaygroundPage(await context.new_page(), playground.url)
    try:
        await page.open()
        yield page
    finally:
        report = request.node.stash.get(_REPORT, None)
        if report is not None and report.failed:
            path = tmp_path / "failure.png"
            await page.screenshot(str(path))
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"\n[e2e] screenshot of the failed page: {path}")
        await context.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> pictures.Screenshots:
    """The docs' pictures: saved under ``--screenshots DIR`` when given; what each shows is always checked."""
    folder = request.config.getoption(pictures.OPTION.lstrip("-"), default=None)
    taken = request.config.stash.setdefault(_PICTURES_TAKEN, set())
    return pictures.Screenshots(Path(folder) if folder else None, taken)


@pytest_asyncio.fixture(loop_scope="session")
async def playground_client(playground: PlaygroundServer) -> AsyncIterator[playground_tool.PlaygroundClient]:
    """A client for the Playground's HTTP API and its WebSocket stream of bot messages."""
    async with aiohttp.ClientSession() as session:
        yield playground_tool.PlaygroundClient(playground.url, session)
