"""sandbox.client: the static credentials, the plain-HTTP policy, and a sync SDK client."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from azure.core.exceptions import ServiceRequestError
from azure.mgmt.containerservice import ContainerServiceClient as SyncContainerServiceClient

from sandbox.client import SANDBOX_TOKEN, AsyncStaticTokenCredential, StaticTokenCredential, client_kwargs
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, SandboxHandle, sdk_client_kwargs

REPO = Path(__file__).resolve().parents[3]


def test_sync_credential_returns_the_fixed_token() -> None:
    credential = StaticTokenCredential()

    token = credential.get_token("https://management.azure.com/.default")
    info = credential.get_token_info("https://management.azure.com/.default")

    assert token.token == SANDBOX_TOKEN
    assert token.expires_on > time.time() + 600
    assert (info.token, info.token_type) == (SANDBOX_TOKEN, "Bearer")


async def test_async_credential_returns_the_fixed_token() -> None:
    async with AsyncStaticTokenCredential("custom") as credential:
        token = await credential.get_token("scope")
        info = await credential.get_token_info("scope")

    assert (token.token, info.token) == ("custom", "custom")


def test_client_kwargs_shape() -> None:
    kwargs = client_kwargs("http://127.0.0.1:1234/", asynchronous=False, polling_interval=0.5)

    assert set(kwargs) == {"credential", "base_url", "per_call_policies", "polling_interval"}
    assert isinstance(kwargs["credential"], StaticTokenCredential)
    assert kwargs["base_url"] == "http://127.0.0.1:1234"
    assert kwargs["polling_interval"] == 0.5


def test_sync_sdk_client_works_against_the_sandbox(sandbox: SandboxHandle) -> None:
    kwargs = sdk_client_kwargs(sandbox, asynchronous=False)

    with SyncContainerServiceClient(subscription_id=DEV_SUBSCRIPTION_ID, **kwargs) as client:
        names = [cluster.name for cluster in client.managed_clusters.list()]
        poller = client.managed_clusters.begin_start("rg-dev", "aks-sandbox")
        poller.result()
        started = client.managed_clusters.get("rg-dev", "aks-sandbox")

    assert names == ["aks-dev", "aks-sandbox"]
    assert started.power_state.code == "Running"


def test_without_the_http_policy_azure_core_refuses_plain_http(sandbox: SandboxHandle) -> None:
    kwargs = sdk_client_kwargs(sandbox, asynchronous=False)
    kwargs.pop("per_call_policies")

    with (
        SyncContainerServiceClient(subscription_id=DEV_SUBSCRIPTION_ID, retry_total=0, **kwargs) as client,
        pytest.raises(ServiceRequestError, match="non-TLS"),
    ):
        client.managed_clusters.get("rg-dev", "aks-dev")

    assert sandbox.requests() == []


def test_client_module_imports_no_server_code() -> None:
    probe = (
        "import sys, sandbox.client\n"
        "heavy = [m for m in sys.modules if m == 'aiohttp' or m.startswith(('azure.mgmt', 'sandbox.app'))]\n"
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
