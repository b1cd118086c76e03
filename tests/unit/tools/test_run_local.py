"""`make run`'s command line and what it prints (the full run is in tests/e2e/test_run_local.py)."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import sentinel

import pytest

from tools.run_local import Running, banner, parse_args
from tools.stack import DevHost


def test_defaults() -> None:
    args = parse_args([])

    assert (args.port, args.playground_port) == (3978, 56150)
    assert not args.no_playground
    assert not args.check
    assert args.settings.name == "local.settings.json"
    assert args.run_dir.name == ".run"


def test_check_needs_the_playground(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["--check", "--no-playground"])

    assert exited.value.code == 2
    assert "drop --no-playground" in capsys.readouterr().err


def running(playground_url: str | None) -> Running:
    return Running(
        azurite_ports={"Blob": 10000, "Queue": 10001, "Table": 10002},
        sandbox_url="http://127.0.0.1:8710",
        devhost=DevHost(messages_url="http://127.0.0.1:3978/api/messages", process=sentinel.process),
        playground_url=playground_url,
    )


def test_banner_says_what_to_open_and_what_to_try() -> None:
    text = banner(running("http://localhost:56150"), Path("/repo/.run"))

    assert "Open the Agents Playground:  http://localhost:56150" in text
    assert "http://127.0.0.1:3978/api/messages" in text
    assert "http://127.0.0.1:8710" in text
    assert "blob 10000, queue 10001, table 10002" in text
    assert "Try: help" in text
    assert "Ctrl-C stops everything." in text


def test_banner_without_the_playground_has_nothing_to_open() -> None:
    text = banner(running(None), Path("/repo/.run"))

    assert "Open the Agents Playground" not in text
    assert "Try:" not in text
