"""Secrets never leave the process at any level; message text never above DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from telemetry import debug_text, redact, turn_scope

from .conftest import ACCOUNT_KEY, JWT, MESSAGE_TEXT, SAS_SIG, Captured, make_activity

log = logging.getLogger("switchboard.tests")

SAS_URL = f"https://acct.table.core.windows.net/ops?sv=2022-11-02&se=2026-12-01&sp=r&sig={SAS_SIG}"
STORAGE_CONNECTION = (
    f"DefaultEndpointsProtocol=https;AccountName=stswitchboard;AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net"
)
SECRETS = (JWT, ACCOUNT_KEY, SAS_SIG, "hunter2-Pa55", "cl13nt-s3cr3t-v4lue", "opaque-access-token-0123456789")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        ("Authorization: Bearer opaque-access-token-0123456789", "opaque-access-token-0123456789"),
        ("{'Authorization': 'Basic dXNlcjpodW50ZXIy', 'Accept': 'application/json'}", "dXNlcjpodW50ZXIy"),
        (f"sent Bearer {JWT} upstream", JWT),
        (f"token {JWT} rejected", JWT),
        (f"jwt header {JWT.split('.')[0]} only", JWT.split(".")[0]),
        (STORAGE_CONNECTION, ACCOUNT_KEY),
        (f"TableEndpoint=https://a.table.core.windows.net/;SharedAccessSignature=sv=2022&sig={SAS_SIG}", "sv=2022"),
        (f"GET {SAS_URL} -> 403", SAS_SIG),
        ("login password=hunter2-Pa55 user=bob", "hunter2-Pa55"),
        ('{"client_secret": "cl13nt-s3cr3t-v4lue", "client_id": "abc"}', "cl13nt-s3cr3t-v4lue"),
        ("client_secret=cl13nt-s3cr3t-v4lue&grant_type=client_credentials", "cl13nt-s3cr3t-v4lue"),
        ("MicrosoftAppPassword=hunter2-Pa55;MicrosoftAppId=x", "hunter2-Pa55"),
        ("{'access_token': 'opaque-access-token-0123456789'}", "opaque-access-token-0123456789"),
        ("https://bob:hunter2-Pa55@proxy.internal:8080/", "hunter2-Pa55"),
        ("POST /api/messages?code=fUnCt10nK3y== 200", "fUnCt10nK3y=="),
    ],
)
def test_redact_removes_secrets(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned
    assert redact(cleaned) == cleaned  # handlers may apply it more than once


@pytest.mark.parametrize(
    "text",
    [
        "Bearer token authentication is not permitted for non-TLS protected (non-https) URLs",
        "partition key conv-1, row key ref, status code 409, tokens=['restart', 'pool']",
        "turn took 12 ms; 3 storage calls",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def test_secrets_in_message_and_args_are_redacted_at_info(captured: Captured) -> None:
    headers = {"Authorization": f"Bearer {JWT}", "Content-Type": "application/json"}
    log.info("calling %s with headers %s", SAS_URL, headers)
    log.info("storage is %(conn)s", {"conn": STORAGE_CONNECTION})
    log.warning("token refresh: client_secret=cl13nt-s3cr3t-v4lue access_token=opaque-access-token-0123456789")
    log.info("configured", extra={"storage": STORAGE_CONNECTION, "auth": f"Bearer {JWT}"})

    dump = captured.dump()
    assert len(captured.records) == 4
    assert len(captured.exported()) == 4
    for secret in SECRETS:
        assert secret not in dump
    assert "acct.table.core.windows.net/ops" in dump  # the useful part of the line survives


def test_secrets_are_redacted_at_debug_too(captured: Captured) -> None:
    log.debug("raw request: Authorization: Bearer %s", JWT)
    assert JWT not in captured.dump()
    assert captured.records[0].levelno == logging.DEBUG


def test_secrets_in_exception_messages_args_and_causes_are_redacted(
    captured: Captured, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        try:
            raise ConnectionError(f"cannot reach storage with {STORAGE_CONNECTION}")
        except ConnectionError as exc:
            raise RuntimeError("token exchange failed", f"Authorization: Bearer {JWT}", SAS_URL) from exc
    except RuntimeError:
        log.exception("turn failed")

    console = capsys.readouterr().err
    (record,) = captured.records
    (exported,) = captured.exported()
    attributes = dict(exported.log_record.attributes or {})
    for secret in (JWT, ACCOUNT_KEY, SAS_SIG):
        assert secret not in console
        assert secret not in captured.dump()
        assert secret not in str(attributes["exception.message"])
        assert secret not in str(attributes["exception.stacktrace"])
    # The traceback stays useful: types, the chain and the non-secret parts are still there.
    assert "RuntimeError: ('token exchange failed'" in console
    assert "ConnectionError: cannot reach storage" in console
    assert "direct cause of the following exception" in console
    assert attributes["exception.type"] == "RuntimeError"
    assert "token exchange failed" in str(attributes["exception.stacktrace"])
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError


def test_exception_without_secrets_is_left_as_is(captured: Captured) -> None:
    error = ValueError("pool size must be between 1 and 100")
    try:
        raise error
    except ValueError:
        log.exception("bad input")
    (record,) = captured.records
    assert record.exc_info is not None
    assert record.exc_info[1] is error


def test_message_text_is_not_emitted_above_debug(captured: Captured) -> None:
    activity = make_activity(text=f"<at>Switchboard</at> {MESSAGE_TEXT}")
    with turn_scope(activity):
        log.info("received %s", activity.text)  # the raw text, mention included
        log.info("parsed %r", MESSAGE_TEXT)  # the text after the mention was removed
        log.info("activity %s", activity.serialize())  # a dict holding 'text'
        log.info("handled", extra={"text": MESSAGE_TEXT, "body": MESSAGE_TEXT})
        log.warning("could not parse %s", MESSAGE_TEXT, exc_info=ValueError(f"bad input: {MESSAGE_TEXT}"))

    assert len(captured.records) == 5
    assert MESSAGE_TEXT not in captured.dump()
    assert "[text omitted]" in captured.records[0].getMessage()
    assert captured.records[3].text == "[text omitted]"


def test_message_text_fields_are_removed_outside_a_turn_too(captured: Captured) -> None:
    log.info("proactive %s", {"type": "message", "text": "your pool was resized to 5 nodes"})
    assert "resized" not in captured.dump()


def test_debug_text_logs_text_at_debug_only(captured: Captured) -> None:
    with turn_scope(make_activity()):
        debug_text(log, "message text", MESSAGE_TEXT)
        log.debug("received %s", MESSAGE_TEXT)
    assert [record.levelno for record in captured.records] == [logging.DEBUG, logging.DEBUG]
    assert all(MESSAGE_TEXT in record.getMessage() for record in captured.records)


def test_debug_text_still_redacts_secrets(captured: Captured) -> None:
    debug_text(log, "message text", f"here is my password=hunter2-Pa55 and {JWT}")
    assert "hunter2-Pa55" not in captured.dump()
    assert JWT not in captured.dump()


def test_at_info_level_debug_text_emits_nothing(configure: Callable[..., Captured]) -> None:
    captured = configure(log_level="INFO")
    with turn_scope(make_activity()):
        debug_text(log, "message text", MESSAGE_TEXT)
        log.info("turn handled")
    assert [record.getMessage() for record in captured.records] == ["turn handled"]
    assert MESSAGE_TEXT not in captured.dump()
