"""Microsoft.Compute: virtual machine scale sets and virtual machines.

Scale sets: list, get, PATCH (``sku.capacity``, tags; 200 + ``Azure-AsyncOperation``) and PUT
(200 update / 201 create). Virtual machines: list (``$expand=instanceView``, ``statusOnly``),
get (``$expand=instanceView``), ``instanceView``, and the power actions start, deallocate,
restart and powerOff (202 + ``Location`` + ``Azure-AsyncOperation``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.errors import ArmError
from sandbox.estate import ResourceGroup, ScaleSet, Subscription, VirtualMachine, stable_uuid, utc_timestamp
from sandbox.operations import Operation
from sandbox.routing import ArmContext, Handler, Router

__all__ = ["NAMESPACE", "register", "render_instance_view", "render_scale_set", "render_vm"]

NAMESPACE = "Microsoft.Compute"
MAX_CAPACITY = 1000
_SEED_TIME = "2026-01-05T09:00:00.000000Z"
_SUB = "/subscriptions/{subscription}"
_GROUP = _SUB + "/resourceGroups/{group}"
_VMSS = "/providers/Microsoft.Compute/virtualMachineScaleSets"
_VMS = "/providers/Microsoft.Compute/virtualMachines"

_DISPLAY = {
    "running": "VM running",
    "deallocated": "VM deallocated",
    "deallocating": "VM deallocating",
    "starting": "VM starting",
    "stopped": "VM stopped",
    "stopping": "VM stopping",
}
# action path -> (operation name, transitional power state, final power state)
_POWER_ACTIONS: dict[str, tuple[str, str, str]] = {
    "start": ("Start", "starting", "running"),
    "deallocate": ("Deallocate", "deallocating", "deallocated"),
    "restart": ("Restart", "starting", "running"),
    "powerOff": ("PowerOff", "stopping", "stopped"),
}


def register(router: Router) -> None:
    """Add the compute routes to ``router``."""
    router.add("GET", _SUB + _VMSS, list_scale_sets)
    router.add("GET", _GROUP + _VMSS, list_scale_sets)
    router.add("GET", _GROUP + _VMSS + "/{name}", get_scale_set)
    router.add("PATCH", _GROUP + _VMSS + "/{name}", patch_scale_set)
    router.add("PUT", _GROUP + _VMSS + "/{name}", put_scale_set)
    router.add("GET", _SUB + _VMS, list_vms)
    router.add("GET", _GROUP + _VMS, list_vms)
    router.add("GET", _GROUP + _VMS + "/{name}", get_vm)
    router.add("GET", _GROUP + _VMS + "/{name}/instanceView", get_instance_view)
    for action in _POWER_ACTIONS:
        router.add("POST", _GROUP + _VMS + "/{name}/" + action, _power_handler(action))


def _id(sub: Subscription, group: ResourceGroup, collection: str, name: str) -> str:
    return f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}{collection}/{name}"


def render_scale_set(sub: Subscription, group: ResourceGroup, scale_set: ScaleSet) -> dict[str, Any]:
    """A scale set as ``GET .../virtualMachineScaleSets/{name}`` returns it."""
    return {
        "id": _id(sub, group, _VMSS, scale_set.name),
        "name": scale_set.name,
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "location": scale_set.location,
        "tags": dict(scale_set.tags),
        "sku": {"name": scale_set.sku_name, "tier": scale_set.sku_tier, "capacity": scale_set.capacity},
        "properties": {
            "singlePlacementGroup": False,
            "orchestrationMode": "Uniform",
            "upgradePolicy": {"mode": scale_set.upgrade_mode},
            "virtualMachineProfile": {
                "osProfile": {
                    "computerNamePrefix": scale_set.name[:9],
                    "adminUsername": "azureuser",
                    "linuxConfiguration": {"disablePasswordAuthentication": True},
                },
                "storageProfile": {
                    "osDisk": {
                        "osType": "Linux",
                        "createOption": "FromImage",
                        "caching": "ReadWrite",
                        "managedDisk": {"storageAccountType": "Premium_LRS"},
                        "diskSizeGB": 30,
                    },
                    "imageReference": _IMAGE,
                },
            },
            "provisioningState": scale_set.provisioning_state,
            "overprovision": False,
            "doNotRunExtensionsOnOverprovisionedVMs": False,
            "uniqueId": stable_uuid(sub.subscription_id, group.name, scale_set.name),
            "timeCreated": _SEED_TIME,
        },
    }


_IMAGE = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}


def render_instance_view(vm: VirtualMachine) -> dict[str, Any]:
    """A VM instance view with ``ProvisioningState/...`` and ``PowerState/...`` statuses."""
    provisioning = vm.provisioning_state
    return {
        "computerName": vm.name,
        "osName": "ubuntu",
        "osVersion": "24.04",
        "hyperVGeneration": "V2",
        "statuses": [
            {
                "code": f"ProvisioningState/{provisioning.lower()}",
                "level": "Error" if provisioning == "Failed" else "Info",
                "displayStatus": f"Provisioning {provisioning.lower()}",
                "time": utc_timestamp(),
            },
            {
                "code": f"PowerState/{vm.power_state}",
                "level": "Info",
                "displayStatus": _DISPLAY.get(vm.power_state, vm.power_state),
            },
        ],
    }


def render_vm(sub: Subscription, group: ResourceGroup, vm: VirtualMachine, *, instance_view: bool) -> dict[str, Any]:
    """A virtual machine as ``GET .../virtualMachines/{name}`` returns it (optionally expanded)."""
    vm_id = _id(sub, group, _VMS, vm.name)
    network_prefix = f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}/providers/Microsoft.Network"
    properties: dict[str, Any] = {
        "vmId": stable_uuid(vm_id),
        "hardwareProfile": {"vmSize": vm.vm_size},
        "storageProfile": {
            "imageReference": _IMAGE,
            "osDisk": {
                "osType": vm.os_type,
                "name": f"{vm.name}_OsDisk_1",
                "createOption": "FromImage",
                "caching": "ReadWrite",
                "managedDisk": {
                    "storageAccountType": "Premium_LRS",
                    "id": f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}"
                    f"/providers/Microsoft.Compute/disks/{vm.name}_OsDisk_1",
                },
                "deleteOption": "Delete",
                "diskSizeGB": 30,
            },
            "dataDisks": [],
        },
        "osProfile": {
            "computerName": vm.name,
            "adminUsername": "azureuser",
            "linuxConfiguration": {"disablePasswordAuthentication": True, "provisionVMAgent": True},
            "allowExtensionOperations": True,
        },
        "networkProfile": {"networkInterfaces": [{"id": f"{network_prefix}/networkInterfaces/{vm.name}-nic"}]},
        "provisioningState": vm.provisioning_state,
        "timeCreated": _SEED_TIME,
    }
    if instance_view:
        properties["instanceView"] = render_instance_view(vm)
    return {
        "id": vm_id,
        "name": vm.name,
        "type": "Microsoft.Compute/virtualMachines",
        "location": vm.location,
        "tags": dict(vm.tags),
        "properties": properties,
    }


def _group(ctx: ArmContext) -> tuple[Subscription, ResourceGroup]:
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    return sub, sub.group(ctx.params["group"])


def _groups(ctx: ArmContext) -> tuple[Subscription, list[ResourceGroup]]:
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    if "group" in ctx.params:
        return sub, [sub.group(ctx.params["group"])]
    return sub, list(sub.resource_groups.values())


async def list_scale_sets(ctx: ArmContext) -> web.Response:
    """List scale sets of a subscription or a resource group."""
    sub, groups = _groups(ctx)
    value = [render_scale_set(sub, g, s) for g in groups for s in g.scale_sets.values()]
    return web.json_response({"value": value})


async def get_scale_set(ctx: ArmContext) -> web.Response:
    """Get one scale set."""
    sub, group = _group(ctx)
    return web.json_response(render_scale_set(sub, group, group.scale_set(ctx.params["name"])))


def _capacity(body: dict[str, Any]) -> int | None:
    sku = body.get("sku")
    if sku is None:
        return None
    if not isinstance(sku, dict):
        raise ArmError.bad_request("Property 'sku' must be an object.", target="sku")
    value = sku.get("capacity")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ArmError.bad_request("The value of 'sku.capacity' must be an integer.", target="sku.capacity")
    if not 0 <= int(value) <= MAX_CAPACITY:
        raise ArmError.bad_request(
            f"The value {int(value)} of 'sku.capacity' is invalid: it must be between 0 and {MAX_CAPACITY}.",
            target="sku.capacity",
        )
    return int(value)


def _update_scale_set(
    ctx: ArmContext,
    sub: Subscription,
    group: ResourceGroup,
    scale_set: ScaleSet,
    body: dict[str, Any],
    action: str,
) -> Operation:
    """Start the operation that applies ``body`` (capacity, tags) to ``scale_set``."""
    capacity = _capacity(body)
    tags = body.get("tags")
    resource_id = _id(sub, group, _VMSS, scale_set.name)

    def succeed() -> None:
        if capacity is not None:
            scale_set.capacity = capacity
        if isinstance(tags, dict):
            scale_set.tags = {str(k): str(v) for k, v in tags.items()}
        scale_set.provisioning_state = "Succeeded"

    def fail() -> None:
        scale_set.provisioning_state = "Failed"

    operation = ctx.begin_operation(
        lock_key=resource_id,
        resource_id=resource_id,
        action=action,
        namespace=NAMESPACE,
        location=scale_set.location,
        on_success=succeed,
        on_end_without_success=fail,
    )
    scale_set.provisioning_state = action
    return operation


async def patch_scale_set(ctx: ArmContext) -> web.Response:
    """Update a scale set (e.g. ``sku.capacity``): 200 with the scale set "Updating" + ``Azure-AsyncOperation``."""
    sub, group = _group(ctx)
    scale_set = group.scale_set(ctx.params["name"])
    body = await ctx.json_body()
    operation = _update_scale_set(ctx, sub, group, scale_set, body, "Updating")
    return ctx.accepted(operation, status=200, body=render_scale_set(sub, group, scale_set))


async def put_scale_set(ctx: ArmContext) -> web.Response:
    """Create or update a scale set: 200 (update) or 201 (create), with ``Azure-AsyncOperation``."""
    sub, group = _group(ctx)
    body = await ctx.json_body()
    name = ctx.params["name"]
    existing = group.scale_sets.get(name.lower())
    if existing is not None:
        operation = _update_scale_set(ctx, sub, group, existing, body, "Updating")
        return ctx.accepted(operation, status=200, body=render_scale_set(sub, group, existing))
    sku = body.get("sku")
    if not isinstance(sku, dict) or not sku.get("name"):
        raise ArmError.bad_request("Creating a scale set requires 'sku.name'.", target="sku.name")
    capacity = _capacity(body) or 0
    created = ScaleSet(
        name=name,
        location=str(body.get("location") or group.location),
        sku_name=str(sku["name"]),
        capacity=0,
        tags={str(k): str(v) for k, v in (body.get("tags") or {}).items()},
    )
    group.scale_sets[name.lower()] = created
    operation = _update_scale_set(ctx, sub, group, created, {"sku": {"capacity": capacity}}, "Creating")
    return ctx.accepted(operation, status=201, body=render_scale_set(sub, group, created))


async def list_vms(ctx: ArmContext) -> web.Response:
    """List VMs of a subscription or resource group (``$expand=instanceView`` / ``statusOnly=true``)."""
    sub, groups = _groups(ctx)
    expand = (ctx.query("$expand") or "").lower() == "instanceview" or (ctx.query("statusOnly") or "") == "true"
    value = [render_vm(sub, g, vm, instance_view=expand) for g in groups for vm in g.vms.values()]
    return web.json_response({"value": value})


async def get_vm(ctx: ArmContext) -> web.Response:
    """Get one VM; ``$expand=instanceView`` adds ``properties.instanceView``."""
    sub, group = _group(ctx)
    expand = (ctx.query("$expand") or "").lower() == "instanceview"
    return web.json_response(render_vm(sub, group, group.vm(ctx.params["name"]), instance_view=expand))


async def get_instance_view(ctx: ArmContext) -> web.Response:
    """Get a VM's instance view."""
    _, group = _group(ctx)
    return web.json_response(render_instance_view(group.vm(ctx.params["name"])))


def _power_handler(action: str) -> Handler:
    name, transitional, final = _POWER_ACTIONS[action]

    async def handle(ctx: ArmContext) -> web.Response:
        sub, group = _group(ctx)
        vm = group.vm(ctx.params["name"])
        resource_id = _id(sub, group, _VMS, vm.name)
        ctx.state.operations.ensure_idle(resource_id)
        if action == "restart" and vm.power_state != "running":
            raise ArmError.not_allowed(
                f"Operation 'restart' is not allowed on VM '{vm.name}' since the VM is {vm.power_state}."
            )
        before = vm.power_state

        def succeed() -> None:
            vm.power_state = final
            vm.provisioning_state = "Succeeded"

        def fail() -> None:
            vm.power_state = before
            vm.provisioning_state = "Failed"

        operation = ctx.begin_operation(
            lock_key=resource_id,
            resource_id=resource_id,
            action=name,
            namespace=NAMESPACE,
            location=vm.location,
            on_success=succeed,
            on_end_without_success=fail,
        )
        vm.provisioning_state = "Updating"
        if before != final or action == "restart":
            vm.power_state = transitional
        return ctx.accepted(operation, status=202)

    handle.__doc__ = f"POST .../virtualMachines/{{name}}/{action}: 202; power state '{transitional}' then '{final}'."
    return handle
