"""Conversations: the main dialog, the generic action dialog and card forms.

Public surface:

- :class:`Conversations` — what the bot calls for messages and card action invokes;
- :class:`HelpBook`, :data:`COMMANDS` — chat help generated from the declarations.

Confirmed requests leave through the request seam (:mod:`requesting`), which this package
imports and never the reverse.
"""

from dialogs.conversations import DIALOG_STATE_PROPERTY, Conversations
from dialogs.help import COMMANDS, ChatCommand, HelpBook

__all__ = [
    "COMMANDS",
    "DIALOG_STATE_PROPERTY",
    "ChatCommand",
    "Conversations",
    "HelpBook",
]
