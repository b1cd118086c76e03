"""Bounded work per request, through ``function_app``: bad input is refused precisely and cheaply.

What Teams could never send (JSON 10,000 levels deep, text over its message size limit) is a 400
with a short reason; text within Teams' limit that is no command gets a chat answer saying what to
do. Either way the bot stays responsive: a good message right after is answered.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.runtime import SwitchboardRuntime
from bot.http_edge import MAX_JSON_DEPTH, MAX_TEXT_CHARS
from tests.support.connector import TEST_BOT_ID, ConnectorStandIn, teams_activity
from tests.support.hosted_app import HostedApp, json_body

ROOT = Path(__file__).resolve().parents[3]

JSON = {"Content-Type": "application/json"}


async def help_still_works(hosted: HostedApp, connector: ConnectorStandIn) -> None:
    connector.clear()
    response = await hosted.post_activity(teams_activity(text="help", service_url=connector.service_url))
    assert response.status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text.startswith("Here is what I can do:")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"type":"message","channelData":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001,
    ],
)
async def test_json_ten_thousand_levels_deep_is_400_and_the_bot_carries_on(
    hosted: HostedApp, connector: ConnectorStandIn, body: bytes
) -> None:
    response = await hosted.call("messages", body=body, headers=JSON)
    assert response.status_code == 400
    assert json_body(response) == {
        "error": {"code": "BadRequest", "message": f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."}
    }
    assert connector.calls == []
    await help_still_works(hosted, connector)


async def test_text_longer_than_teams_allows_is_400_with_the_limit(
    hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    activity = teams_activity(text="y" * (MAX_TEXT_CHARS + 1), service_url=connector.service_url)
    response = await hosted.post_activity(activity)
    assert response.status_code == 400
    assert f"longer than {MAX_TEXT_CHARS} characters" in json_body(response)["error"]["message"]
    assert connector.calls == []


async def test_a_message_at_teams_limit_gets_a_chat_answer_saying_commands_are_short(
    hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    word = "s" * MAX_TEXT_CHARS
    response = await hosted.post_activity(teams_activity(text=word, service_url=connector.service_url))
    assert response.status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text.startswith(f"That is too long for a command ({MAX_TEXT_CHARS} characters; at most 2000).")
    assert word not in reply.text
    await help_still_works(hosted, connector)


async def test_unclosed_mention_markup_at_teams_limit_is_answered(
    hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    mention = {"type": "mention", "mentioned": {"id": TEST_BOT_ID, "name": "Switchboard"}}
    activity = teams_activity(text="<at>" * (MAX_TEXT_CHARS // 4), service_url=connector.service_url)
    activity["entities"] = [{**mention, "text": "<at>Switchboard</at>"}]
    response = await hosted.call("messages", body=json.dumps(activity).encode(), headers=JSON)
    assert response.status_code == 200
    [reply] = await connector.wait_for_async(1)
    # Markup without text is no command at all: the user is told how to start.
    assert reply.text == "Hi! To see what I can do, type `help`."


async def test_a_runtime_that_freezes_after_composing_leaves_its_start_up_objects_to_no_collection(
    local_env: dict[str, str],
) -> None:
    runtime = SwitchboardRuntime(local_env, freeze_after_compose=True)
    try:
        await runtime.start()
        assert gc.get_freeze_count() > 0
        assert len(gc.get_objects()) < gc.get_freeze_count()  # a full collection scans only the few left
    finally:
        gc.unfreeze()
        await runtime.close()


_WARM_PROBE = """
import asyncio, json, sys
from app.runtime import SwitchboardRuntime

async def main() -> None:
    runtime = SwitchboardRuntime(json.loads(sys.argv[1]), warm_sdks=sys.argv[2] != "lazy")
    if sys.argv[2] == "first-message":  # the Functions host has no start-up hook: the first answer starts it
        from bot.edge_types import EdgeRequest
        answer = await runtime.messages(EdgeRequest.build("POST", {"Content-Type": "application/json"}, b"{}"))
        assert answer.status == 400, answer.status
    else:
        await runtime.start()
    await runtime.warmed()
    print(json.dumps(sorted(name for name in sys.modules if name.startswith("azure.mgmt.") and name.endswith(".aio"))))
    await runtime.close()

asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("mode", "imported"),
    [
        ("warm", ["azure.mgmt.compute.aio", "azure.mgmt.containerservice.aio", "azure.mgmt.web.aio"]),
        ("first-message", ["azure.mgmt.compute.aio", "azure.mgmt.containerservice.aio", "azure.mgmt.web.aio"]),
        ("lazy", []),
    ],
)
def test_a_warming_runtime_imports_the_management_sdks_off_the_event_loop_after_composing(
    local_env: dict[str, str], mode: str, imported: list[str]
) -> None:
    """The first action of each family must not spend 170-300 ms importing its SDK on the event loop."""
    result = subprocess.run(
        [sys.executable, "-c", _WARM_PROBE, json.dumps(local_env), mode],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == imported
