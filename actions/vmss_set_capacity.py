"""vmss-set-capacity: set the number of instances of a VM scale set."""

from __future__ import annotations

from dataclasses import dataclass

from actions._compute import (
    COMPUTE_OPERATION_STATUS,
    MAX_SCALE_SET_CAPACITY,
    SCALE_SET_TYPE,
    discover_scale_sets,
    get_scale_set,
)
from actions.arm import begin, ensure_idle, resume
from actions.context import ActionContext
from actions.phrases import SCALE
from actions.resource_ids import ResourceId
from actions.spec import (
    Args,
    Change,
    Parameter,
    ParameterError,
    ParamKind,
    Phrasing,
    Preview,
    Progress,
    ProgressState,
    Scope,
    UndoRule,
    assess_risk,
    at_limit,
    fill_title,
    large_change,
    to_zero,
)

__all__ = ["ACTION", "VmssSetCapacity"]

_SINGLE_PLACEMENT_GROUP_LIMIT = 100


@dataclass(frozen=True)
class _Plan:
    rid: ResourceId
    capacity: int
    preview: Preview


class VmssSetCapacity:
    """Set a scale set's ``sku.capacity`` with a PATCH (``virtual_machine_scale_sets.begin_update``)."""

    name = "vmss-set-capacity"
    aliases = ("scale vmss", "set vmss capacity", "scale scale set", "vmss scale")
    summary = "Set the number of instances of a VM scale set."
    help = (
        "Sets how many VM instances a scale set runs. Scaling in removes instances (their local state is lost); "
        "scaling out adds instances from the scale set's model. A scale set holds at most 1000 instances, or 100 "
        "when it uses a single placement group. If an autoscale setting is attached to the scale set, it may "
        "change the capacity again later."
    )
    usage = "{vmss} to {capacity} instances"
    examples = ("scale vmss vmss-web to 6", "vmss-set-capacity vmss=vmss-build capacity=0")
    parameters = (
        Parameter(
            "vmss",
            ParamKind.RESOURCE,
            "Which VM scale set?",
            description="a VM scale set, by name or resource id",
            label="VM scale set",
            discover=discover_scale_sets,
            resource_type=SCALE_SET_TYPE,
        ),
        Parameter(
            "capacity",
            ParamKind.INTEGER,
            "How many instances should it run?",
            description="the new number of instances",
            label="Instance count",
            minimum=0,
            maximum=MAX_SCALE_SET_CAPACITY,
        ),
    )
    timeout_seconds = 1800.0
    phrasing = Phrasing("scale vmss", SCALE)
    change_title = "Scale {vmss}: {before[capacity]} → {capacity} instances"
    risk_rules = (
        to_zero("capacity", "0 instances: nothing runs on this scale set."),
        large_change("capacity"),
        at_limit("capacity"),
    )
    arm_operations = (
        "Microsoft.Compute/virtualMachineScaleSets/read",  # discovery, the current capacity
        "Microsoft.Compute/virtualMachineScaleSets/write",  # the PATCH of sku.capacity
        COMPUTE_OPERATION_STATUS,
    )
    undo = UndoRule(
        "vmss-set-capacity",
        same=("vmss",),
        restore=("capacity",),
        caveat="the instance count comes back, not the same instances: scaling out again adds new ones",
    )

    def scope(self, args: Args) -> Scope:
        """Permission needed: this action on the scale set."""
        return Scope(self.name, str(args["vmss"]))

    async def _plan(self, ctx: ActionContext, args: Args) -> _Plan:
        rid, scale_set = await get_scale_set(ctx, args)
        capacity = int(args["capacity"])
        if scale_set.single_placement_group and capacity > _SINGLE_PLACEMENT_GROUP_LIMIT:
            raise ParameterError(
                "capacity",
                f"{rid.name} uses a single placement group, which holds at most {_SINGLE_PLACEMENT_GROUP_LIMIT} "
                "instances. Choose a capacity up to 100.",
            )
        ensure_idle(rid.name, scale_set.provisioning_state)
        current = int(scale_set.sku.capacity or 0) if scale_set.sku else 0
        notes: list[str] = []
        if capacity < current:
            notes.append(f"{current - capacity} instance(s) will be deleted, with anything stored on them.")
        before = {"capacity": current}
        no_op = current == capacity
        preview = Preview(
            target=rid.name,
            resource_id=str(rid),
            changes=(Change("instances", str(current), str(capacity), parameter="capacity"),),
            notes=() if no_op else tuple(notes),
            no_op=no_op,
            title=fill_title(self, {"vmss": rid.name, "capacity": str(capacity)}, before),
            before=before,
            risks=() if no_op else assess_risk(self, args, before),
            no_op_reason=f"{rid.name} already runs {capacity} instances" if no_op else "",
        )
        return _Plan(rid, capacity, preview)

    async def preview(self, ctx: ActionContext, args: Args) -> Preview:
        """Current → desired capacity, after validating against the live scale set."""
        return (await self._plan(ctx, args)).preview

    async def start(self, ctx: ActionContext, args: Args) -> Progress:
        """Validate again and send the capacity change."""
        plan = await self._plan(ctx, args)
        if plan.preview.no_op:
            message = f"{plan.rid.name} already runs {plan.capacity} instances; nothing to do."
            return Progress(ProgressState.SUCCEEDED, message)
        scale_sets = ctx.compute(plan.rid.subscription).virtual_machine_scale_sets
        call = scale_sets.begin_update(plan.rid.resource_group, plan.rid.name, {"sku": {"capacity": plan.capacity}})
        return await begin(call, **self._messages(plan.rid.name, plan.capacity))

    async def poll(self, ctx: ActionContext, args: Args, continuation_token: str) -> Progress:
        """Check the capacity change once, from its continuation token."""
        rid = ctx.ensure_in_scope(str(args["vmss"]))
        scale_sets = ctx.compute(rid.subscription).virtual_machine_scale_sets
        call = scale_sets.begin_update(rid.resource_group, rid.name, None, continuation_token=continuation_token)
        return await resume(call, **self._messages(rid.name, int(args["capacity"])))

    @staticmethod
    def _messages(target: str, capacity: int) -> dict[str, str]:
        return {
            "target": target,
            "doing": "change the capacity of",
            "running": f"Setting {target} to {capacity} instances…",
            "succeeded": f"{target} now runs {capacity} instances.",
        }


ACTION = VmssSetCapacity()
