"""What the user said to the bot: Teams' HTML-flavoured text made plain, @mention removed, tokens.

Teams sends message text as HTML: entities (``<at>Switchboard</at>&nbsp;help``, ``&amp;``,
``&#39;``), markup (``<p>``, ``<div>``, ``<br>``, ``<b>``), and some clients send the content only
as a ``text/html`` attachment with an empty ``text``. :func:`parse_message` normalises all of it
once, with libxml2's HTML parser (lxml, event target: linear in the text, also for unclosed tags,
which make the standard library's parser quadratic — seconds of CPU for 28 KB of ``<at ``), into
the plain text the dialogs route on:

- entities decoded; tags dropped, block elements and line breaks becoming spaces;
- the bot's own mentions removed — ``<at>…</at>`` (or the ``…/Mention`` span of an HTML
  attachment) whose text is one of the bot's names; other people's mentions keep their name;
- zero-width and other invisible format characters removed, every kind of whitespace
  (non-breaking included) collapsed to single spaces.

``TurnContext.remove_recipient_mention`` of botbuilder 4.17.1 leaves a leading space and uses
the mention's display name as a regular expression; it is not used.
"""

from __future__ import annotations

import functools
import html
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from botbuilder.schema import Activity

__all__ = ["ParsedMessage", "bot_mentions", "message_html", "parse_message", "plain_text", "tokenize"]

_TRAILING_PUNCTUATION = "?!.,;:"
_HTML_CONTENT_TYPE = "text/html"
# A Teams message is at most about 28 KB; anything longer is cut before parsing (bounded work per turn).
_MAX_HTML_CHARS = 40_000
_MENTION_ITEMTYPE = "http://schema.skype.com/mention"
# Elements that separate words when rendered (HTML's block-level elements and line breaks).
_BREAKING = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
_HIDDEN = frozenset({"script", "style", "template", "head", "title"})


@dataclass(frozen=True)
class ParsedMessage:
    """A message as the bot routes it."""

    mentioned: bool  # the bot was @mentioned
    text: str  # plain text: markup and entities resolved, the bot's mention removed, whitespace normalized
    tokens: tuple[str, ...]  # text split on whitespace; the first is lower-cased and stripped of "?!.,;:"

    @property
    def command(self) -> str | None:
        return self.tokens[0] if self.tokens else None

    @property
    def args(self) -> tuple[str, ...]:
        return self.tokens[1:]


def bot_mentions(activity: Activity) -> list[tuple[str, str]]:
    """Each mention of the recipient (the bot) as (markup, display name).

    For example ``[("<at>Switchboard</at>", "Switchboard")]``.
    """
    recipient_id = getattr(activity.recipient, "id", None)
    found: list[tuple[str, str]] = []
    for entity in activity.entities or []:
        if (entity.type or "").lower() != "mention":
            continue
        props = entity.additional_properties or {}
        mentioned = props.get("mentioned") or {}
        if recipient_id and isinstance(mentioned, dict) and mentioned.get("id") == recipient_id:
            found.append((str(props.get("text") or ""), str(mentioned.get("name") or "")))
    return found


def message_html(activity: Activity) -> list[str]:
    """The message's content as Teams sent it: ``text``, then each ``text/html`` attachment's content."""
    found = [activity.text] if isinstance(activity.text, str) else []
    for attachment in activity.attachments or []:
        content_type = str(getattr(attachment, "content_type", None) or "").split(";", 1)[0].strip().lower()
        content = getattr(attachment, "content", None)
        if content_type == _HTML_CONTENT_TYPE and isinstance(content, str):
            found.append(content)
    return found


def parse_message(activity: Activity) -> ParsedMessage:
    """The activity's text as plain text without the bot's @mention(s), and its tokens.

    The ``text`` is used; when nothing is left of it (absent, empty, or only the mention), the
    first ``text/html`` attachment with content is used instead.
    """
    mentions = bot_mentions(activity)
    names = _bot_names(activity, mentions) if mentions else frozenset()
    text = ""
    for content in message_html(activity):
        for markup, _ in mentions:
            if markup:  # the entity's own markup, literally (it need not be an <at> element)
                content = content.replace(markup, " ")
        text = plain_text(content, drop_mentions_of=names)
        if text:
            break
    return ParsedMessage(mentioned=bool(mentions), text=text, tokens=tokenize(text))


def plain_text(content: str, *, drop_mentions_of: Iterable[str] = ()) -> str:
    """Teams HTML as plain, single-spaced text.

    Mentions (``<at>`` elements, ``…/Mention`` spans) whose text matches one of
    ``drop_mentions_of`` (compared case-insensitively, entities decoded) are removed; other
    mentions keep their text.
    """
    content = content[:_MAX_HTML_CHARS]
    if "<" not in content and "&" not in content:  # no markup, no entities: nothing for the parser to do
        return _clean(content)
    from lxml import etree  # lazily: only text with markup or entities pays its import

    target = _PlainText(frozenset(_name_key(name) for name in drop_mentions_of))
    parser = etree.HTMLParser(target=target, recover=True, no_network=True, remove_comments=True)
    parser.feed(content)
    return _clean(parser.close())


def tokenize(text: str) -> tuple[str, ...]:
    """Split on whitespace; normalize the first token (the command word)."""
    words = text.split()
    if not words:
        return ()
    first = words[0].lower().rstrip(_TRAILING_PUNCTUATION)
    return (first, *words[1:]) if first else tuple(words[1:])


def _bot_names(activity: Activity, mentions: list[tuple[str, str]]) -> frozenset[str]:
    """The names the bot's mentions may carry: the entities' names and markup text, the recipient's name."""
    names = {html.unescape(name) for _, name in mentions}
    names.update(_markup_text(markup) for markup, _ in mentions)
    recipient_name = getattr(activity.recipient, "name", None)
    if isinstance(recipient_name, str):
        names.add(recipient_name)
    return frozenset(name for name in names if _name_key(name))


@functools.lru_cache(maxsize=64)
def _markup_text(markup: str) -> str:
    """The plain text of a mention entity's markup (the bot's few mention spellings recur on every turn)."""
    return plain_text(markup)


def _clean(text: str) -> str:
    """Invisible format characters (zero-width spaces, joiners, BOM, bidi controls) removed; whitespace collapsed."""
    collapsed = " ".join(text.split())
    if collapsed.isascii():  # no format characters outside ASCII's controls, which split() already treats
        return collapsed
    return " ".join("".join(ch for ch in collapsed if unicodedata.category(ch) != "Cf").split())


def _name_key(name: str) -> str:
    return _clean(name).casefold()


def _is_mention(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag == "at":
        return True
    return any(key == "itemtype" and (value or "").strip().lower() == _MENTION_ITEMTYPE for key, value in attrs)


class _PlainText:
    """An lxml parser target collecting the text of an HTML fragment (the parser decodes entities)."""

    def __init__(self, bot_names: frozenset[str]) -> None:
        self._bot_names = bot_names
        self._parts: list[str] = []
        self._hidden = 0
        self._mention_tag: str | None = None  # the tag of the mention being read
        self._mention_depth = 0  # open elements with that tag, the mention's own included
        self._mention_parts: list[str] = []

    def close(self) -> str:
        """The text (lxml returns it from ``parser.close()``)."""
        self._end_mention()  # a mention left open at the end of the text ends there
        return "".join(self._parts)

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        attrs = list(attrib.items())
        if tag in _HIDDEN:
            self._hidden += 1
        elif self._mention_tag is not None:
            if tag == self._mention_tag:
                self._mention_depth += 1
            if tag in _BREAKING:
                self._mention_parts.append(" ")
        elif _is_mention(tag, attrs):
            self._mention_tag, self._mention_depth, self._mention_parts = tag, 1, []
        elif tag in _BREAKING:
            self._parts.append(" ")

    def end(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif self._mention_tag is not None:
            if tag == self._mention_tag:
                self._mention_depth -= 1
                if self._mention_depth == 0:
                    self._end_mention()
        elif tag in _BREAKING:
            self._parts.append(" ")

    def data(self, data: str) -> None:
        if self._hidden:
            return
        (self._mention_parts if self._mention_tag is not None else self._parts).append(data)

    def _end_mention(self) -> None:
        if self._mention_tag is None:
            return
        name = "".join(self._mention_parts)
        self._parts.append(" " if _name_key(name) in self._bot_names else name)
        self._mention_tag, self._mention_depth, self._mention_parts = None, 0, []
