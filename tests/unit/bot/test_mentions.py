"""Removing the bot's @mention and splitting what is left into tokens."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity

from bot.mentions import parse_message, plain_text, tokenize
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
    assert parsed.text == "Megan help"  # the markup is never passed on, mention or not


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


# --------------------------------------------------------------------------- Teams' HTML-flavoured text
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<at>Switchboard</at>&nbsp;help", "help"),  # what a Teams channel sends
        ("<at>Switchboard</at>&nbsp;&nbsp;help&nbsp;me", "help me"),
        ("<at>Switchboard</at>\u00a0help", "help"),  # the character itself, not the entity
        ("<at>Switchboard</at> restart app web&amp;prod", "restart app web&prod"),
        ("<at>Switchboard</at> scale &lt;b&gt;x&lt;/b&gt;", "scale <b>x</b>"),  # typed text, not markup
        ("<at>Switchboard</at> help&#32;me &#x68;elp &#104;i", "help me help hi"),  # numeric entities
        ("<at>Switchboard</at> it&#39;s &quot;quoted&quot;", 'it\'s "quoted"'),
        ("<p><at>Switchboard</at> scale node pool aks-prod np1 to 5</p>", "scale node pool aks-prod np1 to 5"),
        ("<at>Switchboard</at><p>scale node pool aks-prod np1 to 5</p>", "scale node pool aks-prod np1 to 5"),
        ("<at>Switchboard</at> scale node pool<br>aks-prod<br/>np1<br />to 5", "scale node pool aks-prod np1 to 5"),
        ("<div><at>Switchboard</at></div><div>restart app</div><div>web-prod</div>", "restart app web-prod"),
        ("<div><div><at>Switchboard</at> <b>restart</b> <i>app <u>web-prod</u></i></div></div>",
         "restart app web-prod"),
        ("<at>Switchboard</at> re<b>start</b> app", "restart app"),  # inline markup does not split words
        ("<at>Switchboard</at> <ul><li>help</li><li>me</li></ul>", "help me"),
        ("<at>Switchboard</at>\u200bhelp\u200b", "help"),  # zero-width space
        ("<at>Switchboard</at> he\u200cl\u200dp\u2060 me\ufeff", "help me"),  # joiners, word joiner, BOM
        ("<at>Switchboard</at>&#8203;help&ZeroWidthSpace;", "help"),  # zero-width space as entities
        ("<at>Switchboard</at>\u2003help\u3000me", "help me"),  # other Unicode spaces
        ("<at>Switchboard</at> a < b", "a < b"),  # a lone "<" is text
        ("<at>Switchboard</at> help<script>alert(1)</script>", "help"),
        ("<at>Switchboard</at> help <!-- a comment -->me", "help me"),
    ],
)
def test_teams_html_becomes_the_plain_text_the_parser_expects(text: str, expected: str) -> None:
    parsed = parse_message(activity(text, [bot_mention()]))
    assert parsed.mentioned is True
    assert parsed.text == expected


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("<at>Switchboard</at>&nbsp;help", ("help",)),
        ("<at>Switchboard</at>&nbsp;HELP&nbsp;?", ("help", "?")),
        ("<p><at>Switchboard</at>&nbsp;Help!</p>", ("help",)),
    ],
)
def test_tokens_come_from_the_plain_text(text: str, tokens: tuple[str, ...]) -> None:
    assert parse_message(activity(text, [bot_mention()])).tokens == tokens


@pytest.mark.parametrize(
    ("text", "markup", "name"),
    [
        # The entity and the text agree, both with the entity.
        ("<at>Ops &amp; Switchboard</at>&nbsp;help", "<at>Ops &amp; Switchboard</at>", "Ops & Switchboard"),
        # The entity's markup is decoded while the text is not.
        ("<at>Ops &amp; Switchboard</at>&nbsp;help", "<at>Ops & Switchboard</at>", "Ops & Switchboard"),
        # The entity's name itself is encoded.
        ("<at>Ops &amp; Switchboard</at> help", "<at>Ops &amp; Switchboard</at>", "Ops &amp; Switchboard"),
        # Numeric entities and a non-breaking space inside the name.
        ("<at>Ops&#160;&#x26;&#160;Switchboard</at> help", "<at>Ops&nbsp;&amp;&nbsp;Switchboard</at>",
         "Ops & Switchboard"),
        # Markup inside the mention.
        ("<at><b>Ops</b> &amp; Switchboard</at> help", "<at>Ops &amp; Switchboard</at>", "Ops & Switchboard"),
    ],
)
def test_mention_text_with_entities_is_removed(text: str, markup: str, name: str) -> None:
    parsed = parse_message(activity(text, [bot_mention(markup, name)]))
    assert parsed.text == "help"


def test_an_html_attachment_is_read_when_the_text_is_empty() -> None:
    message = activity("", [bot_mention()])
    message.attachments = [
        Activity().deserialize({"attachments": [{
            "contentType": "text/html",
            "content": '<div><div><span itemscope="" itemtype="http://schema.skype.com/Mention" itemid="0">'
                       "Switchboard</span>&nbsp;scale node pool <b>aks-prod</b> np1 to&nbsp;5</div></div>",
        }]}).attachments[0]
    ]
    parsed = parse_message(message)
    assert parsed.mentioned is True
    assert parsed.text == "scale node pool aks-prod np1 to 5"


@pytest.mark.parametrize("text", [None, "", "   ", "<at>Switchboard</at>", "<at>Switchboard</at>&nbsp;"])
def test_an_html_attachment_is_read_when_nothing_is_left_of_the_text(text: str | None) -> None:
    raw = teams_activity(conversation_type="channel", entities=[bot_mention()], attachments=[
        {"contentType": "image/png", "contentUrl": "https://example.invalid/x.png"},
        {"contentType": "text/html", "content": "<p>help&nbsp;help</p>"},
    ])
    if text is not None:
        raw["text"] = text
    assert parse_message(Activity().deserialize(raw)).text == "help help"


def test_the_text_wins_over_the_html_attachment() -> None:
    raw = teams_activity(text="help", attachments=[{"contentType": "text/html", "content": "<p>cancel</p>"}])
    assert parse_message(Activity().deserialize(raw)).text == "help"


def test_a_mention_of_someone_else_in_an_attachment_keeps_their_name() -> None:
    raw = teams_activity(text="", attachments=[{
        "contentType": "text/html",
        "content": '<p>grant <span itemtype="http://schema.skype.com/Mention" itemid="1">Megan</span> access</p>',
    }])
    assert parse_message(Activity().deserialize(raw)).text == "grant Megan access"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("", ""),
        ("plain", "plain"),
        ("&amp;&lt;&gt;&quot;&#39;&#x41;&#65;", "&<>\"'AA"),
        ("a&nbsp;&nbsp;b\n\t c", "a b c"),
        ("<at>Someone</at>&nbsp;hi", "Someone hi"),
        ("<at>Switchboard", "Switchboard"),  # an unclosed mention is text when it is not the bot's
        ("<p>one</p><p>two</p>", "one two"),
        ("x" * 50_000, "x" * 40_000),  # bounded work: longer content is cut
    ],
)
def test_plain_text(html: str, expected: str) -> None:
    assert plain_text(html) == expected


def test_plain_text_drops_only_the_named_mentions() -> None:
    html = "<at>Switchboard</at> tell <at>Megan</at> <at>SWITCHBOARD</at>&nbsp;hi"
    assert plain_text(html, drop_mentions_of=["Switchboard"]) == "tell Megan hi"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<at " * 7000, ""),  # unclosed start tags: the standard library's parser took seconds on these
        ("<at>" * 7000 + "help", "help"),
        ("help <at", "help"),
        ("<b>scale</b> <at x='1'>Switchboard</at> node pool", "scale node pool"),
    ],
)
def test_unclosed_or_deeply_nested_markup_still_gives_the_text(content: str, expected: str) -> None:
    assert plain_text(content, drop_mentions_of=["Switchboard"]) == expected
