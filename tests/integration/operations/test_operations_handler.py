"""The confirm turn's executor when storage cannot be reached: a precise refusal with a reference,
nothing recorded, nothing sent — never an exception or a half-written operation."""

from __future__ import annotations

from actions.context import ActionContext
from actions.registry import default_registry
from actions.settings import ArmSettings
from app.execution import build_execution
from requesting import OutcomeState
from storage import DeliveryLedger, OperationQueue, TableClientOptions, TableProvider
from tests.support.operations import RecordingNotifier
from tests.support.operations_scale import SCALE_SUBSCRIPTION, vmss_request
from tests.support.table_storage import unreachable_connection_string


async def test_unreachable_storage_refuses_the_request_with_a_reference(refused_port: int) -> None:
    connection = unreachable_connection_string(refused_port)
    tables = TableProvider(connection_string=connection, options=TableClientOptions(retry_total=0))
    queue = OperationQueue("switchboard-operations", connection_string=connection)
    actions = ActionContext(ArmSettings(sandbox_url="http://127.0.0.1:9", subscriptions=(SCALE_SUBSCRIPTION,)))
    registry = default_registry()
    execution = build_execution(tables=tables, queue=queue, registry=registry, actions=actions,
                                notifier=RecordingNotifier(), deliveries=DeliveryLedger(tables))
    try:
        outcome = await execution.handler.submit(vmss_request(registry, 1))
    finally:
        await execution.close()
        await actions.close()
        await tables.close()

    assert outcome.state is OutcomeState.REFUSED
    assert outcome.message.startswith("Switchboard could not queue this request right now (reference ")
    assert outcome.message.endswith("Try again in a minute. Nothing was changed.")
    assert not outcome.started
