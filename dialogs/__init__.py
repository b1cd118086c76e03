"""Conversations: the main dialog, the generic action dialog, card forms, and the request seam.

Public surface:

- :class:`Conversations` — what the bot calls for messages and card action invokes;
- :class:`Request`, :class:`Requester`, :class:`Outcome`, :class:`OutcomeState`,
  :class:`RequestHandler` — the one seam to execution;
- :class:`DirectRequestHandler` — the first handler: runs the action at once, waiting for it at
  most :data:`DEFAULT_TURN_BUDGET` seconds (what a Teams turn allows), then reports what is known;
- :class:`HelpBook`, :data:`COMMANDS` — chat help generated from the declarations.
"""

from dialogs.conversations import DIALOG_STATE_PROPERTY, Conversations
from dialogs.direct import DEFAULT_TURN_BUDGET, DirectRequestHandler
from dialogs.help import COMMANDS, ChatCommand, HelpBook
from dialogs.request import Outcome, OutcomeState, Request, Requester, RequestHandler

__all__ = [
    "COMMANDS",
    "DEFAULT_TURN_BUDGET",
    "DIALOG_STATE_PROPERTY",
    "ChatCommand",
    "Conversations",
    "DirectRequestHandler",
    "HelpBook",
    "Outcome",
    "OutcomeState",
    "Request",
    "RequestHandler",
    "Requester",
]
