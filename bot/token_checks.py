"""Token checks the Bot Framework SDK for Python leaves out, run before its own validation.

botframework-connector 4.17 validates the signature, the issuer, ``exp``/``nbf`` when present,
the audience of channel tokens, the ``serviceurl`` claim of channel tokens (present and equal to
the activity's ``serviceUrl``) and ``ver`` + ``appid``/``azp`` of Emulator tokens. Compared with
the C# SDK (``ChannelValidation``, ``TokenValidationParameters``) it is both laxer and stricter:

- a token **without** ``exp`` is accepted (PyJWT checks ``exp`` only when present; the C# SDK
  requires an expiration time): here it is refused;
- an Emulator token's ``aud`` is not checked (the C# SDK does not either; the Emulator's tokens
  carry the bot's app id, being requested with scope ``{appId}/.default``). A token whose
  audience is another service — such as the bot's own outgoing token for the Bot Framework —
  would pass as an Emulator token, then fail later with a 500: here ``aud`` must be the bot's
  app id for every token;
- the ``serviceurl`` claim must equal the activity's ``serviceUrl`` character for character,
  while the C# SDK compares ignoring case: here two URLs that differ only in letter case or a
  trailing slash are the same (:func:`same_service_url`). Any other difference stays a 401.

:func:`check_token` applies these to the unverified claims of the ``Authorization`` header; the
SDK then verifies the signature and everything else. Failures raise :class:`PermissionError`
(the HTTP edge answers 401).
"""

from __future__ import annotations

import copy
from typing import Any

import jwt
from botbuilder.schema import Activity

__all__ = ["check_token", "same_service_url", "token_claims"]

SERVICE_URL_CLAIM = "serviceurl"


def token_claims(auth_header: str | None) -> dict[str, Any] | None:
    """The claims of a ``Bearer`` token, not verified; ``None`` when there is no readable JWT
    (the SDK then refuses the request itself)."""
    scheme, _, token = (auth_header or "").partition(" ")
    if scheme != "Bearer" or not token:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def check_token(auth_header: str | None, activity: Activity | None, app_id: str) -> Activity | None:
    """Refuse a token that lacks what the Bot Framework requires; return the activity for the SDK.

    Raises :class:`PermissionError` when the token has no numeric ``exp`` or its ``aud`` is not
    ``app_id``. When the token's ``serviceurl`` names the activity's ``serviceUrl`` in another
    spelling (:func:`same_service_url`), the returned activity is a copy carrying the claim's
    spelling, so the SDK's exact comparison succeeds; the original activity is not changed and
    replies still go to its ``serviceUrl``. Otherwise ``activity`` itself is returned.
    """
    claims = token_claims(auth_header)
    if claims is None:
        return activity
    expires = claims.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise PermissionError("the token has no expiration time ('exp')")
    if claims.get("aud") != app_id:
        raise PermissionError("the token is not for this bot ('aud')")
    claim = claims.get(SERVICE_URL_CLAIM)
    if activity is None or not isinstance(claim, str) or not isinstance(activity.service_url, str):
        return activity
    if claim != activity.service_url and same_service_url(claim, activity.service_url):
        checked = copy.copy(activity)
        checked.service_url = claim
        return checked
    return activity


def same_service_url(first: str, second: str) -> bool:
    """True when two service URLs differ at most in letter case and one trailing slash."""
    return _canonical(first) == _canonical(second)


def _canonical(url: str) -> str:
    url = url.casefold()
    return url[:-1] if url.endswith("/") else url
