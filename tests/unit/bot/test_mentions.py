"""Removing the bot's @mention and splitting what is left into tokens."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity

from bot.mentions import parse_message, tokenize
from tests.support.connector import TEST_BOT_ID, teams_activity


def activity(text: str, mentions: list[dict[str, object]] | None = None) -> Activity:
    return Activity().deserialize(teams_activity(text=text, conversation_type="channel", entities=mentions or []))


def bot_mention(markup: str = "<at>Switchboard</at>", name: str = "Switchboard") -> dict[str, object]:
    return {"type": "mention", "mentioned": {"id": TEST_BOT_ID, "name": name}, "text": markup}


def test_the_mention_is_removed_without_leaving_a_leading_space() -> None:
    parsed = parse_message(activity("<at>Switchboard</at> help me", [bot_mention()]))
    assert parsed.mentioned is True
    assert parsed.text == "help me"
    assert parsed.tokens == ("help", "me")


def test_a_mention_in_the_middle_and_extra_whitespace() -> None:
    parsed = parse_message(activity("please\u00a0 <at>Switchboard</at>\n  help", [bot_mention()]))
    assert parsed.text == "please help"


def test_markup_differing_from_the_entity_is_matched_by_the_bot_name() -> None:
    parsed = parse_message(activity('<at id="0">Switchboard</at> help', [bot_mention()]))
    assert parsed.tokens == ("help",)


def test_regex_characters_in_the_bot_name_are_literal() -> None:
    name = "Switch(board)+"
    parsed = parse_message(activity(f"<at>{name}</at> help", [bot_mention(f"<at>{name}</at>", name)]))
    assert parsed.text == "help"


def test_mentions_of_other_people_stay_as_their_names() -> None:
    megan = {"type": "mention", "mentioned": {"id": "29:megan", "name": "Megan"}, "text": "<at>Megan</at>"}
    parsed = parse_message(activity("<at>Switchboard</at> grant <at>Megan</at> access", [bot_mention(), megan]))
    assert parsed.text == "grant Megan access"


def test_without_a_mention_of_the_bot() -> None:
    megan = {"type": "mention", "mentioned": {"id": "29:megan", "name": "Megan"}, "text": "<at>Megan</at>"}
    parsed = parse_message(activity("<at>Megan</at> help", [megan]))
    assert parsed.mentioned is False
    assert parsed.text == "<at>Megan</at> help"


def test_no_text_at_all() -> None:
    parsed = parse_message(Activity().deserialize(teams_activity(value={"x": 1})))
    assert parsed.tokens == ()
    assert parsed.command is None


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("HELP", ("help",)), ("help?", ("help",)), ("Help me!", ("help", "me!")), ("?", ()), ("  ", ())],
)
def test_tokenize_normalizes_only_the_command_word(text: str, tokens: tuple[str, ...]) -> None:
    assert tokenize(text) == tokens
