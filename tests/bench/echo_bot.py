"""The benchmark's baseline: a plain botbuilder echo bot, as the SDK samples write it.

    python -m tests.bench.echo_bot [--port 0]

Stock parts only: ``CloudAdapter`` and ``ConfigurationBotFrameworkAuthentication`` from
botbuilder-integration-aiohttp (no app id: anonymous, loopback only), ``MemoryStorage`` with a
``ConversationState`` (a turn counter per conversation, saved every turn), an ``ActivityHandler``
answering each message with ``Echo: <text>``, served by an aiohttp server whose handler is
``adapter.process(request, bot)``. Prints ``echo bot listening on http://127.0.0.1:PORT/api/messages``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ActivityHandler, ConversationState, MemoryStorage, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

__all__ = ["EchoBot", "create_app", "main"]


class EchoBot(ActivityHandler):
    def __init__(self, conversation_state: ConversationState) -> None:
        self._conversation_state = conversation_state
        self._turns = conversation_state.create_property("turns")

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        await self._conversation_state.save_changes(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turns = await self._turns.get(turn_context) or 0
        await self._turns.set(turn_context, turns + 1)
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


def create_app() -> web.Application:
    configuration = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))
    bot = EchoBot(ConversationState(MemoryStorage()))

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


async def _serve(port: int) -> None:
    runner = web.AppRunner(create_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"echo bot listening on http://127.0.0.1:{runner.addresses[0][1]}/api/messages", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.echo_bot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: a free one)")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
