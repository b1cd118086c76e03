"""Everything the dialogs say, in one place, so wording stays consistent and tests can assert on it.

No message ever contains exception text: user errors (:class:`actions.spec.ActionError`)
are shown as their own ``message``, which is written for users. Anything a user typed or a card
sent is repeated only through :func:`actions.quoting.quoted` / :func:`~actions.quoting.shown`, so it
cannot format the message (markdown, HTML) or break out of its quotes.
"""

from __future__ import annotations

from collections.abc import Sequence

from actions.quoting import quoted, shown
from actions.spec import lower_first

__all__ = [
    "MAX_TRIES",
    "acknowledge_first",
    "action_not_understood",
    "already_submitted",
    "broken_after_start",
    "broken_nothing_changed",
    "cancel_too_late",
    "cancelled",
    "card_not_active",
    "card_not_yours",
    "card_unknown_action",
    "coming_soon",
    "confirm_on_card",
    "confirm_retry",
    "confirm_risky",
    "did_you_mean_help",
    "empty_message",
    "fill_in_the_form",
    "form_hint",
    "gave_up",
    "help_while_asking",
    "no_op",
    "nothing_to_cancel",
    "nothing_to_choose",
    "or_run",
    "outcome_failed",
    "outcome_line",
    "outcome_started",
    "outcome_unconfirmed",
    "reason_prompt",
    "reason_retry",
    "refused_before_start",
    "replaced_waiting_request",
    "retry",
    "running",
    "superseded",
    "unknown_card_action",
    "unknown_command",
    "unknown_help_topic",
    "waiting_for_reason",
]

MAX_TRIES = 3
"""How many answers a question accepts before the bot stops politely."""


def _how_to_ask(in_channel: bool) -> str:
    return "@mention me with `help`" if in_channel else "type `help`"


def empty_message(in_channel: bool) -> str:
    return f"Hi! To see what I can do, {_how_to_ask(in_channel)}."


def unknown_command(in_channel: bool) -> str:
    return f"Sorry, I don't know that one. To see what I can do, {_how_to_ask(in_channel)}."


def action_not_understood(message: str) -> str:
    """The parser's did-you-mean for a near miss of an action name or alias, with where to look."""
    return f"{message} Type `help` to see what I can do."


def unknown_help_topic(word: str) -> str:
    return f"There is no command called `{word}`. Type `help` for the list."


def did_you_mean_help(commands: Sequence[str]) -> str:
    """``commands`` are whole help commands, e.g. ``help scale node pool``."""
    return "Did you mean " + " / ".join(f"`{command}`" for command in commands) + "?"


def fill_in_the_form() -> str:
    return "Fill in the form above and press its button, or say `cancel` to stop."


def retry(reason: str, question: str, attempt: int) -> str:
    """A question asked again, after ``attempt`` refused answers, with the reason first."""
    return f"{reason}\n\n{question} (try {attempt + 1} of {MAX_TRIES}, or say `cancel`)"


def gave_up(what: str) -> str:
    return (
        f"That's {MAX_TRIES} tries without a valid {what}, so I've stopped here. Nothing was changed. "
        "Start again whenever you're ready."
    )


def cancelled() -> str:
    return "Cancelled. Nothing was changed."


def nothing_to_cancel() -> str:
    return "There is nothing to cancel."


def coming_soon(command: str) -> str:
    return f"`{command}` is coming soon: it isn't available yet. Type `help` to see what I can do now."


def form_hint(in_channel: bool) -> str:
    mention = " In a channel, @mention me with each answer." if in_channel else ""
    return f"Answer in chat, or say `form` to fill in a card instead; `cancel` stops.{mention}"


def help_while_asking(action_help: str, question: str | None) -> str:
    asking = f"\n\nI was asking: {question}" if question else ""
    return f"{action_help}{asking}\n\nAnswer below, or say `cancel` to stop."


def nothing_to_choose(what: str, note: str = "") -> str:
    detail = f" ({note})" if note else ""
    return f"There is no {what} you can choose right now{detail}, so I can't continue. Nothing was changed."


def confirm_on_card(risky: bool) -> str:
    """The question on a preview card in chat (typed answers work too). No markdown: cards don't render code."""
    if risky:
        return 'Tick the box and press Confirm to go ahead, or reply "no" (or press Cancel) to change nothing.'
    return 'Reply "yes" to confirm or "no" to cancel, or use the buttons.'


def confirm_retry(attempt: int) -> str:
    return retry("Please answer `yes` or `no`.", "Go ahead with this change?", attempt)


def acknowledge_first(acknowledgement: str) -> str:
    """A risky request's Confirm pressed without its check box ticked."""
    return f'This change is risky: tick "{acknowledgement}", then press Confirm. Nothing was changed.'


def break_glass_reason_needed(limit: int) -> str:
    """Break glass pressed on a preview with a blank (or too long) reason."""
    return (f"Breaking glass needs a reason: say why this cannot wait (at most {limit} characters), then press "
            "Break glass again — or press Confirm to ask as usual. Nothing was changed.")


def confirm_risky(acknowledgement: str) -> str:
    """`yes` typed for a risky request: it needs the card's check box."""
    return (
        f'This change is risky, so `yes` is not enough: on the card, tick "{acknowledgement}" and '
        "press Confirm — or reply `no` to cancel."
    )


def no_op() -> str:
    return "Nothing to change, so nothing was run."


def running(target: str) -> str:
    return f"Working on it: {target}…"


def outcome_line(headline: str, title: str) -> str:
    """The one short message after a typed answer changed the request's card: what became of it."""
    return f"{headline}: {lower_first(title)}. The card above shows the details."


def superseded() -> str:
    """On a waiting request's card, once the person asked for something else."""
    return "Nothing was changed: you asked for something else."


def broken_nothing_changed() -> str:
    """On a request's card when the turn failed before anything was sent."""
    return "Nothing was changed. Start again when you're ready."


def broken_after_start(target: str) -> str:
    """On a request's card when the turn failed after the request was sent."""
    return f"The request was sent before the failure: check {target} before trying again."


def reason_prompt(needed: str) -> str:
    """Asked after Confirm when the request will wait for approvers; ``needed`` says who must approve."""
    return f"{needed} Why is it needed? The approvers see your reason. (Say `cancel` to stop.)"


def waiting_for_reason() -> str:
    """On the request's card while the reason for the approvers is asked in chat."""
    return "Waiting for your reason: the approvers will see it."


def reason_retry(limit: int) -> str:
    return f"Please say in a sentence why it is needed (at most {limit} characters), or `cancel` to stop."


def or_run() -> str:
    """Above buttons that each run a whole command, under a question asked again."""
    return "Or run one of these:"


def card_not_yours(owner_name: str, action: str) -> str:
    # The owner's name comes from card data, which anyone can forge: repeated only as plain text. Shown
    # as a card action's answer too, which renders no markdown: no backticks.
    return (
        f"This card belongs to {shown(owner_name)}: only they can use it. Nothing was changed. "
        f'To do this yourself, ask me with "{action}".'
    )


def card_unknown_action(action: str) -> str:
    return f"This card names an action I don't have ({quoted(action, 64)}). Nothing was run."


def replaced_waiting_request() -> str:
    return "Leaving the previous request (nothing was changed) for this new one."


def card_not_active(action: str) -> str:
    return (
        "This card is no longer active (it was completed, cancelled or replaced). Nothing was changed. "
        f'Start again with "{action}".'
    )


def unknown_card_action(reason: str = "") -> str:
    """A card submission that no Switchboard card could have sent; ``reason`` says what is wrong with it."""
    if reason:
        return f"I can't use this card. {reason} Nothing was changed."
    return "I can't use this card: it isn't one of mine, or it is damaged. Nothing was changed."


# ---------------------------------------------------------------- after a request was started
# Once a request's platform call was started, no message may say that nothing happened: each says
# what is known (done, failed, still running, could not be confirmed) and names what to check.


def refused_before_start(reason: str) -> str:
    """A request refused before anything was sent to Azure."""
    return f"{reason} Nothing was changed."


def outcome_failed(reason: str, target: str) -> str:
    """Azure refused or failed the change after it was sent (``reason`` says what Azure said)."""
    return f"{reason} It may have partly happened: check {target} before trying again."


def outcome_started(target: str) -> str:
    """Azure accepted the change and was still working on it when the turn stopped waiting."""
    return (
        f"The change to {target} was started and Azure is still working on it, so I can't confirm the "
        f"result yet. Check {target} in a few minutes before trying again."
    )


def outcome_unconfirmed(target: str, reference: str | None) -> str:
    """The change was sent, but Azure did not say what became of it."""
    ref = f" (reference {reference})" if reference else ""
    return (
        f"The change to {target} was sent to Azure, but it could not be confirmed{ref}: it may be running, "
        f"done, or not have started. Check {target} before trying again."
    )


def cancel_too_late(target: str) -> str:
    """`cancel` after the request's platform call was started."""
    return (
        f"Your change to {target} was already started, so I can't stop it from here. "
        f"Check {target} to see where it stands."
    )


def already_submitted(target: str) -> str:
    """A message to a request whose platform call was already started (it cannot be confirmed again)."""
    return (
        f"Your request for {target} was already sent to Azure, so it can't be confirmed again. "
        f"Check {target} to see where it stands."
    )
