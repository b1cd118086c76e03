"""Scale sets and virtual machines through the real aio ComputeManagementClient."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.compute.aio import ComputeManagementClient
from azure.mgmt.compute.models import Sku, VirtualMachineScaleSet, VirtualMachineScaleSetUpdate

from tests.support.arm_sandbox import LONG_OPERATION, PROD_SUBSCRIPTION_ID, SandboxHandle, sdk_client_kwargs


def _power(statuses: list[Any]) -> str:
    return next(s.code for s in statuses if s.code.startswith("PowerState/"))


def _provisioning(statuses: list[Any]) -> str:
    return next(s.code for s in statuses if s.code.startswith("ProvisioningState/"))


async def test_lists_and_gets_scale_sets(sandbox: SandboxHandle, compute_dev: ComputeManagementClient) -> None:
    in_group = [s.name async for s in compute_dev.virtual_machine_scale_sets.list("rg-dev")]
    async with ComputeManagementClient(subscription_id=PROD_SUBSCRIPTION_ID, **sdk_client_kwargs(sandbox)) as prod:
        in_prod = [s.name async for s in prod.virtual_machine_scale_sets.list_all()]
        web = await prod.virtual_machine_scale_sets.get("rg-prod", "vmss-web")

    assert in_group == ["vmss-build"]
    assert in_prod == ["vmss-web"]
    assert (web.sku.capacity, web.sku.name, web.provisioning_state) == (4, "Standard_D4s_v5", "Succeeded")
    assert web.id.endswith("/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web")


async def test_capacity_update_is_a_200_then_capacity_changes_when_done(
    sandbox: SandboxHandle, compute_dev: ComputeManagementClient
) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    responses: list[Any] = []

    poller = await compute_dev.virtual_machine_scale_sets.begin_update(
        "rg-dev",
        "vmss-build",
        VirtualMachineScaleSetUpdate(sku=Sku(capacity=5)),
        raw_response_hook=lambda pipeline_response: responses.append(pipeline_response.http_response),
    )
    during = await compute_dev.virtual_machine_scale_sets.get("rg-dev", "vmss-build")
    assert sandbox.finish_operations() == 1
    result = await poller.result()

    assert (responses[0].request.method, responses[0].status_code) == ("PATCH", 200)
    assert "Azure-AsyncOperation" in responses[0].headers
    assert (during.sku.capacity, during.provisioning_state) == (2, "Updating")
    assert (result.sku.capacity, result.provisioning_state) == (5, "Succeeded")


async def test_capacity_out_of_range_is_a_400(compute_dev: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as invalid:
        await compute_dev.virtual_machine_scale_sets.begin_update(
            "rg-dev", "vmss-build", VirtualMachineScaleSetUpdate(sku=Sku(capacity=1001))
        )

    assert invalid.value.status_code == 400
    assert invalid.value.error.code == "InvalidParameter"


async def test_create_or_update_scale_set(compute_dev: ComputeManagementClient) -> None:
    existing = await compute_dev.virtual_machine_scale_sets.get("rg-dev", "vmss-build")
    existing.sku.capacity = 3
    updated = await (
        await compute_dev.virtual_machine_scale_sets.begin_create_or_update("rg-dev", "vmss-build", existing)
    ).result()
    created = await (
        await compute_dev.virtual_machine_scale_sets.begin_create_or_update(
            "rg-dev",
            "vmss-new",
            VirtualMachineScaleSet(location="westeurope", sku=Sku(name="Standard_D2s_v5", capacity=1)),
        )
    ).result()

    assert updated.sku.capacity == 3
    assert (created.name, created.sku.capacity, created.provisioning_state) == ("vmss-new", 1, "Succeeded")


async def test_lists_vms_with_instance_view(compute_dev: ComputeManagementClient) -> None:
    plain = [vm async for vm in compute_dev.virtual_machines.list("rg-dev")]
    expanded = {vm.name: vm async for vm in compute_dev.virtual_machines.list("rg-dev", expand="instanceView")}
    everywhere = [vm.name async for vm in compute_dev.virtual_machines.list_all()]

    assert [vm.name for vm in plain] == ["build-agent-1", "build-agent-2", "build-agent-3"]
    assert plain[0].instance_view is None
    assert _power(expanded["build-agent-1"].instance_view.statuses) == "PowerState/running"
    assert _power(expanded["build-agent-3"].instance_view.statuses) == "PowerState/deallocated"
    assert everywhere == ["build-agent-1", "build-agent-2", "build-agent-3"]


async def test_get_vm_with_expand_and_instance_view(compute_dev: ComputeManagementClient) -> None:
    vm = await compute_dev.virtual_machines.get("rg-dev", "build-agent-2", expand="instanceView")
    view = await compute_dev.virtual_machines.instance_view("rg-dev", "build-agent-3")

    assert (vm.name, vm.location, vm.hardware_profile.vm_size) == ("build-agent-2", "westeurope", "Standard_D2s_v5")
    assert vm.provisioning_state == "Succeeded"
    assert _power(vm.instance_view.statuses) == "PowerState/running"
    assert _provisioning(view.statuses) == "ProvisioningState/succeeded"
    assert _power(view.statuses) == "PowerState/deallocated"


async def test_start_deallocated_vm(sandbox: SandboxHandle, compute_dev: ComputeManagementClient) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    responses: list[Any] = []

    poller = await compute_dev.virtual_machines.begin_start(
        "rg-dev", "build-agent-3", raw_response_hook=lambda r: responses.append(r.http_response)
    )
    during = await compute_dev.virtual_machines.instance_view("rg-dev", "build-agent-3")
    assert sandbox.finish_operations() == 1
    await poller.result()
    after = await compute_dev.virtual_machines.instance_view("rg-dev", "build-agent-3")

    assert responses[0].status_code == 202
    assert "Location" in responses[0].headers
    assert (_provisioning(during.statuses), _power(during.statuses)) == (
        "ProvisioningState/updating",
        "PowerState/starting",
    )
    assert (_provisioning(after.statuses), _power(after.statuses)) == (
        "ProvisioningState/succeeded",
        "PowerState/running",
    )


async def test_deallocate_running_vm(compute_dev: ComputeManagementClient) -> None:
    await (await compute_dev.virtual_machines.begin_deallocate("rg-dev", "build-agent-1")).result()

    view = await compute_dev.virtual_machines.instance_view("rg-dev", "build-agent-1")
    assert _power(view.statuses) == "PowerState/deallocated"


async def test_restart_running_vm(sandbox: SandboxHandle, compute_dev: ComputeManagementClient) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)

    poller = await compute_dev.virtual_machines.begin_restart("rg-dev", "build-agent-2")
    during = await compute_dev.virtual_machines.instance_view("rg-dev", "build-agent-2")
    assert sandbox.finish_operations() == 1
    await poller.result()
    after = await compute_dev.virtual_machines.instance_view("rg-dev", "build-agent-2")

    assert _power(during.statuses) == "PowerState/starting"
    assert _power(after.statuses) == "PowerState/running"


async def test_restart_deallocated_vm_is_refused(compute_dev: ComputeManagementClient) -> None:
    with pytest.raises(ResourceExistsError) as refused:
        await compute_dev.virtual_machines.begin_restart("rg-dev", "build-agent-3")

    assert refused.value.status_code == 409
    assert refused.value.error.code == "OperationNotAllowed"


async def test_deallocate_while_start_runs_gets_409(
    sandbox: SandboxHandle, compute_dev: ComputeManagementClient
) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    await compute_dev.virtual_machines.begin_start("rg-dev", "build-agent-3")

    with pytest.raises(ResourceExistsError) as refused:
        await compute_dev.virtual_machines.begin_deallocate("rg-dev", "build-agent-3")

    assert refused.value.error.code == "OperationNotAllowed"
    assert "Another operation (Start) is in progress" in refused.value.error.message


async def test_unknown_vm_is_resource_not_found(compute_dev: ComputeManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError) as missing:
        await compute_dev.virtual_machines.get("rg-dev", "build-agent-9")

    assert missing.value.error.code == "ResourceNotFound"
    assert "Microsoft.Compute/virtualMachines/build-agent-9" in missing.value.error.message
