"""When the table transport reads proxy settings from the environment (aiohttp ``trust_env``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import http_env_settings_present


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def test_nothing_to_read_means_no_env_settings(home: Path) -> None:
    assert http_env_settings_present({"PATH": "/usr/bin", "HOME": str(home)}, home) is False


@pytest.mark.parametrize(
    "name", ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "NO_PROXY", "no_proxy"]
)
def test_a_proxy_variable_turns_them_on(home: Path, name: str) -> None:
    assert http_env_settings_present({name: "http://proxy.example:3128"}, home) is True


def test_an_empty_proxy_variable_is_ignored(home: Path) -> None:
    assert http_env_settings_present({"HTTPS_PROXY": " "}, home) is False


def test_a_netrc_file_turns_them_on(home: Path) -> None:
    (home / ".netrc").write_text("machine example.com login a password b\n", encoding="utf-8")
    assert http_env_settings_present({}, home) is True


def test_the_netrc_variable_turns_them_on(home: Path) -> None:
    assert http_env_settings_present({"NETRC": str(home / "elsewhere")}, home) is True
