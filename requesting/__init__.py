"""The request seam: what a conversation hands over once the user confirmed, and what became of it.

Plain domain types with no Bot Framework and no Azure SDK imports, so the conversations above
and the guardrails and the operation queue beside them share one vocabulary:

- :class:`Request`, :class:`Requester` — a confirmed request to run one action, and who asked;
- :class:`Outcome`, :class:`OutcomeState` — what became of it, written for the requester;
- :class:`RequestHandler` — the protocol of whatever takes requests (today the direct handler
  of the composition root; the guardrails and the operation queue later);
- :class:`Notifier`, :class:`Notice` — the port for messages and card updates sent outside a turn
  (implemented by the Teams edge).
"""

from requesting.notices import Notice, NoticeReceipt, NoticeStatus, Notifier
from requesting.request import Outcome, OutcomeState, Request, Requester, RequestHandler

__all__ = [
    "Notice",
    "NoticeReceipt",
    "NoticeStatus",
    "Notifier",
    "Outcome",
    "OutcomeState",
    "Request",
    "RequestHandler",
    "Requester",
]
