"""Fixtures for the ARM sandbox tests: the session's sandbox (``sandbox`` in tests/conftest.py), reset
before every test, so a test sees only its own requests, faults and operations.

Clients are the real aio management SDK clients pointed at the sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from azure.mgmt.compute.aio import ComputeManagementClient
from azure.mgmt.containerservice.aio import ContainerServiceClient
from azure.mgmt.web.aio import WebSiteManagementClient

from tests.support.arm_sandbox import (
    DEV_SUBSCRIPTION_ID,
    PROD_SUBSCRIPTION_ID,
    SandboxHandle,
    sdk_client_kwargs,
)


@pytest.fixture
async def aks_prod(sandbox: SandboxHandle) -> AsyncIterator[ContainerServiceClient]:
    """An aio ContainerServiceClient on the platform-prod subscription."""
    async with ContainerServiceClient(subscription_id=PROD_SUBSCRIPTION_ID, **sdk_client_kwargs(sandbox)) as client:
        yield client


@pytest.fixture
async def aks_dev(sandbox: SandboxHandle) -> AsyncIterator[ContainerServiceClient]:
    """An aio ContainerServiceClient on the platform-dev subscription."""
    async with ContainerServiceClient(subscription_id=DEV_SUBSCRIPTION_ID, **sdk_client_kwargs(sandbox)) as client:
        yield client


@pytest.fixture
async def compute_dev(sandbox: SandboxHandle) -> AsyncIterator[ComputeManagementClient]:
    """An aio ComputeManagementClient on the platform-dev subscription."""
    async with ComputeManagementClient(subscription_id=DEV_SUBSCRIPTION_ID, **sdk_client_kwargs(sandbox)) as client:
        yield client


@pytest.fixture
async def web_dev(sandbox: SandboxHandle) -> AsyncIterator[WebSiteManagementClient]:
    """An aio WebSiteManagementClient on the platform-dev subscription."""
    async with WebSiteManagementClient(subscription_id=DEV_SUBSCRIPTION_ID, **sdk_client_kwargs(sandbox)) as client:
        yield client
