"""The turn's failure messages once it had started a change: what was started, what to check, the ref."""

from __future__ import annotations

import pytest

from bot import replies
from dialogs.turn_effects import EffectStatus, StartedEffect

POOL = "aks-prod / node pool np1"


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (EffectStatus.DONE, "The change to aks-prod / node pool np1 was made."),
        (EffectStatus.RUNNING, "The change to aks-prod / node pool np1 was started and Azure is still working on it."),
        (EffectStatus.FAILED, "The change to aks-prod / node pool np1 failed in Azure after it was sent; "
                              "it may have partly happened."),
        (EffectStatus.UNCONFIRMED, "The change to aks-prod / node pool np1 was sent to Azure, but I could not "
                                   "confirm what became of it."),
        (EffectStatus.SUBMITTED, "The change to aks-prod / node pool np1 was sent to Azure, but I could not "
                                 "confirm what became of it."),
    ],
)
def test_each_status_is_said_as_known_and_never_as_nothing(status: EffectStatus, sentence: str) -> None:
    started = [StartedEffect("f-1", POOL, status)]
    for message in (replies.storage_unavailable("abc123", started), replies.error_message("abc123", started)):
        assert message.startswith(sentence + " Then ")
        assert "(ref abc123)" in message
        assert message.endswith("Check aks-prod / node pool np1 before trying again.")
        assert "didn't do anything" not in message
        assert "Please try again" not in message


def test_without_started_changes_the_messages_are_unchanged() -> None:
    assert replies.storage_unavailable("abc123") == (
        "I can't reach my storage right now, so I didn't do anything. Please try again in a minute (ref abc123)."
    )
    assert replies.error_message("abc123") == "Something went wrong on my side (ref abc123). Please try again."


def test_several_changes_name_each_target_once() -> None:
    started = [
        StartedEffect("f-1", POOL, EffectStatus.DONE),
        StartedEffect("f-2", "web-prod", EffectStatus.RUNNING),
        StartedEffect("f-3", POOL, EffectStatus.RUNNING),
    ]
    assert replies.error_message("r", started).endswith(
        "Check aks-prod / node pool np1 and web-prod before trying again."
    )
