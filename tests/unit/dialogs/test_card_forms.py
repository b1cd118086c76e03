"""Card forms: Universal Actions invokes and the Action.Submit fallback, validated on the server.

Submissions are built from the card the bot sent (its button's data merged with input
values), the way Teams builds them; tampered ones change that data by hand.
"""

from __future__ import annotations

from typing import Any

from actions.context import ActionContext
from tests.support.arm_sandbox import PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.unit.dialogs.conftest import ALEX, MEGAN, Chat, card_texts, changed_card, inputs_of, sent_cards, texts

AKS_PROD = (
    f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/providers/"
    "Microsoft.ContainerService/managedClusters/aks-prod"
)
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


async def pool_count(actions: ActionContext, pool: str = "np1") -> int:
    pools = actions.container_service(PROD_SUBSCRIPTION_ID).agent_pools
    return int((await pools.get("rg-prod", "aks-prod", pool)).count)


def changes(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")]


async def open_form(chat: Chat) -> dict[str, Any]:
    """Alex names the action alone and gets its first form (the cluster)."""
    [form] = sent_cards(await chat.say(ALEX, "scale node pool"))
    return form


async def second_stage(chat: Chat) -> dict[str, Any]:
    """Alex picks aks-prod on the first form; the invoke answers with the second form."""
    response, _ = await chat.press(ALEX, await open_form(chat), "Next", {"cluster": AKS_PROD})
    assert response.status == 200
    assert response.body["type"] == CARD
    return response.body["value"]


async def test_an_action_named_alone_gets_a_form_generated_from_its_declaration(chat: Chat) -> None:
    form = await open_form(chat)
    [cluster] = inputs_of(form).values()
    assert cluster["type"] == "Input.ChoiceSet"
    assert cluster["isRequired"] is True
    assert AKS_PROD in [choice["value"] for choice in cluster["choices"]]
    assert [button["title"] for button in form["actions"]] == ["Next", "Cancel"]
    assert form["actions"][0]["verb"] == "submit:aks-scale-node-pool"


async def test_form_submit_preview_confirm_and_the_result(chat: Chat, actions: ActionContext) -> None:
    form = await second_stage(chat)
    assert "AKS cluster: aks-prod" in card_texts(form)
    count = inputs_of(form)["count"]
    # no min/max: a renderer would clamp a typed 99999 to 1000; the range is said, and checked on the server
    assert "min" not in count
    assert "max" not in count
    assert (count["label"], count["isRequired"]) == ("Node count (from 0 to 1000)", True)
    assert count["errorMessage"] == "Enter a whole number from 0 to 1000."

    response, sent = await chat.press(ALEX, form, "Review", {"pool": "np1", "count": "6"})
    preview = response.body["value"]
    assert sent == []  # the preview replaces the form in place
    assert card_texts(preview)[:5] == [
        "Scale aks-prod / np1: 3 → 6 nodes", "Requested by Alex Wilber", "AKS cluster: aks-prod", "Node pool: np1",
        "Node count: 3 → 6",
    ]

    response, sent = await chat.press(ALEX, preview, "Confirm")
    decided = card_texts(response.body["value"])
    assert "Confirmed by Alex Wilber" in decided
    assert "aks-prod / node pool np1 now has 6 nodes." in decided  # the result, in place of the preview
    assert "actions" not in response.body["value"]
    assert sent == []
    assert await pool_count(actions) == 6


async def test_the_action_submit_fallback_works_the_same_way(chat: Chat, actions: ActionContext) -> None:
    # without Universal Actions the card cannot be answered in place by the press: it is updated in place
    first = await open_form(chat)
    assert sent_cards(await chat.press_fallback(ALEX, first, "Next", {"cluster": AKS_PROD})) == []
    form = changed_card(chat)
    assert sent_cards(await chat.press_fallback(ALEX, form, "Review", {"pool": "np1", "count": "2"})) == []
    preview = changed_card(chat)
    assert "Node count: 3 → 2" in card_texts(preview)
    await chat.press_fallback(ALEX, preview, "Confirm")
    assert "aks-prod / node pool np1 now has 2 nodes." in card_texts(changed_card(chat))
    assert await pool_count(actions) == 2


async def test_the_preview_of_a_chat_request_can_be_confirmed_on_its_card(chat: Chat, actions: ActionContext) -> None:
    [preview] = sent_cards(await chat.say(ALEX, "scale node pool aks-prod np1 to 4"))
    response, _ = await chat.press(ALEX, preview, "Confirm")
    assert "Confirmed by Alex Wilber" in card_texts(response.body["value"])
    assert await pool_count(actions) == 4


async def test_an_invalid_submission_comes_back_with_the_reason_and_the_values(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    form = await second_stage(chat)
    response, _ = await chat.press(ALEX, form, "Review", {"pool": "np1", "count": "5000"})
    again = response.body["value"]
    assert "Node count must be from 0 to 1000, got 5000." in card_texts(again)
    assert inputs_of(again)["pool"]["value"] == "np1"  # what was valid stays filled in
    assert changes(sandbox) == []


async def test_a_resource_that_was_not_offered_is_refused_precisely(chat: Chat, sandbox: SandboxHandle) -> None:
    outside = AKS_PROD.replace(PROD_SUBSCRIPTION_ID, "33333333-3333-3333-3333-333333333333")
    response, _ = await chat.press(ALEX, await open_form(chat), "Next", {"cluster": outside})
    assert any("outside what Switchboard may operate on" in line for line in card_texts(response.body["value"]))

    response, _ = await chat.press(ALEX, response.body["value"], "Next", {"cluster": AKS_PROD + "-ghost"})
    assert any("aks-prod-ghost" in line for line in card_texts(response.body["value"]))
    assert changes(sandbox) == []


async def test_a_pool_not_offered_for_the_cluster_is_refused(chat: Chat, sandbox: SandboxHandle) -> None:
    response, _ = await chat.press(ALEX, await second_stage(chat), "Review", {"pool": "np9", "count": "2"})
    refused = card_texts(response.body["value"])
    assert any(line.startswith("There is no node pool called 'np9' here.") for line in refused)
    assert changes(sandbox) == []


async def test_fields_the_form_did_not_offer_and_missing_fields_are_refused(chat: Chat) -> None:
    form = await open_form(chat)
    response, _ = await chat.press(ALEX, form, "Next", {"cluster": AKS_PROD, "count": "900"})
    assert "The form sent fields it did not offer ('count'). Nothing was run." in card_texts(response.body["value"])

    response, _ = await chat.press(ALEX, response.body["value"], "Next", {})
    assert "Which AKS cluster? This field is missing: fill it in." in card_texts(response.body["value"])


async def test_three_refused_submissions_stop_the_form(chat: Chat) -> None:
    form = await second_stage(chat)
    for count in ("-1", "1001"):
        response, _ = await chat.press(ALEX, form, "Review", {"pool": "np1", "count": count})
        form = response.body["value"]
    response, _ = await chat.press(ALEX, form, "Review", {"pool": "np1", "count": "x"})
    stopped = card_texts(response.body["value"])
    assert stopped[0] == "Set the node count of an AKS node pool."  # the request's card, stopped
    assert stopped[-2] == "Stopped"
    assert "That's 3 tries without a valid form" in stopped[-1]
    assert "actions" not in response.body["value"]
    assert texts(await chat.say(ALEX, "cancel")) == ["There is nothing to cancel."]


async def test_the_cancel_button_ends_the_request(chat: Chat, sandbox: SandboxHandle) -> None:
    response, _ = await chat.press(ALEX, await second_stage(chat), "Cancel")
    assert card_texts(response.body["value"])[-2:] == ["Cancelled by Alex Wilber", "Nothing was changed."]
    assert "actions" not in response.body["value"]
    assert changes(sandbox) == []


async def test_someone_else_pressing_the_card_is_refused_and_the_owner_can_go_on(
    channel: Chat, actions: ActionContext
) -> None:
    [form] = sent_cards(await channel.say(ALEX, "scale node pool"))

    response, sent = await channel.press(MEGAN, form, "Next", {"cluster": AKS_PROD})
    assert response.status == 200
    assert response.body["type"] == MESSAGE  # a message: Alex's card stays as it is
    assert response.body["value"].startswith("This card belongs to Alex Wilber: only they can use it.")
    assert sent == []

    response, _ = await channel.press(ALEX, form, "Next", {"cluster": AKS_PROD})
    response, _ = await channel.press(ALEX, response.body["value"], "Review", {"pool": "np1", "count": "5"})
    preview = response.body["value"]

    response, _ = await channel.press(MEGAN, preview, "Confirm")
    assert response.body["value"].startswith("This card belongs to Alex Wilber")
    assert await pool_count(actions) == 3

    await channel.press(ALEX, preview, "Confirm")
    assert await pool_count(actions) == 5


async def test_identity_comes_from_the_activity_not_from_card_data(channel: Chat, sandbox: SandboxHandle) -> None:
    form = (sent_cards(await channel.say(ALEX, "scale node pool")))[0]
    forged = {**form["actions"][0]["data"]}
    forged["switchboard"] = {**forged["switchboard"], "owner": MEGAN.aad_object_id, "ownerName": MEGAN.name}
    response, _ = await channel.press(MEGAN, form, "Next", {"cluster": AKS_PROD}, data=forged)
    assert response.body["type"] == MESSAGE
    assert response.body["value"].startswith("This card is no longer active")  # not Megan's form
    assert changes(sandbox) == []


async def test_the_fallback_by_someone_else_is_refused_in_the_thread(channel: Chat) -> None:
    [form] = sent_cards(await channel.say(ALEX, "scale node pool"))
    [reply] = texts(await channel.press_fallback(MEGAN, form, "Next", {"cluster": AKS_PROD}))
    assert reply.startswith("This card belongs to Alex Wilber")


async def test_an_old_card_is_no_longer_active(chat: Chat, sandbox: SandboxHandle) -> None:
    [preview] = sent_cards(await chat.say(ALEX, "restart app web-prod"))
    await chat.say(ALEX, "restart app web-prod")  # a new request replaces the one this preview belongs to
    response, _ = await chat.press(ALEX, preview, "Confirm")
    assert response.body["value"].startswith("This card is no longer active")
    assert changes(sandbox) == []


async def test_a_declined_preview_pressed_later_says_who_cancelled_it(chat: Chat, sandbox: SandboxHandle) -> None:
    [preview] = sent_cards(await chat.say(ALEX, "restart app web-prod"))
    await chat.say(ALEX, "no")
    response, _ = await chat.press(ALEX, preview, "Confirm")
    assert response.body == {
        "statusCode": 200, "type": MESSAGE,
        "value": "This request was already cancelled by Alex Wilber. Nothing was changed.",
    }
    assert changes(sandbox) == []


async def test_a_card_naming_an_unknown_action_is_refused(chat: Chat) -> None:
    form = await open_form(chat)
    data = {**form["actions"][0]["data"]}
    data["switchboard"] = {**data["switchboard"], "verb": "submit:delete-everything"}
    form["actions"][0]["verb"] = "submit:delete-everything"
    response, _ = await chat.press(ALEX, form, "Next", {"cluster": AKS_PROD}, data=data)
    assert response.body == {
        "statusCode": 200, "type": MESSAGE,
        "value": "This card names an action I don't have ('delete-everything'). Nothing was run.",
    }


async def test_malformed_invokes_get_a_400_error_body_and_no_stack_trace(chat: Chat) -> None:
    form = await open_form(chat)
    data = form["actions"][0]["data"]
    for value, reason in [
        ({"action": {"type": "Action.Execute", "verb": "confirm:aks-scale-node-pool", "data": data}}, "does not match"),
        ({"action": {"type": "Action.Execute", "verb": "x", "data": "not an object"}}, "no data"),
        ({"nothing": True}, "carries no action"),
    ]:
        sent = await chat.send(chat.activity(ALEX, "invoke", name="adaptiveCard/action", value=value))
        [response] = [a.value for a in sent if a.type == "invokeResponse"]
        assert response.status == 400
        assert response.body["statusCode"] == 400
        assert response.body["type"] == "application/vnd.microsoft.error"
        assert response.body["value"]["code"] == "BadRequest"
        assert reason in response.body["value"]["message"]
        assert "Traceback" not in str(response.body)


async def test_typing_a_new_command_replaces_a_waiting_form(chat: Chat) -> None:
    await open_form(chat)
    sent = await chat.say(ALEX, "restart app web-prod")
    assert texts(sent)[0] == "Leaving the previous request (nothing was changed) for this new one."
    assert "web-prod" in " ".join(card_texts(sent_cards(sent)[0]))
