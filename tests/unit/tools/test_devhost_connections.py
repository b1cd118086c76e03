"""The dev host reads a queue trigger's connection as the Functions host does: the app setting's
connection string, else the identity-based ``<name>__queueServiceUri`` (the form the Bicep deploys)."""

from __future__ import annotations

import pytest

from tools.devhost_triggers import QueueConnection, resolve_queue_connection

URI = "https://stswitchboardprod.queue.core.windows.net"
CLIENT_ID = "a1b2c3d4-0000-0000-0000-000000000000"


def test_a_connection_string_in_the_named_setting_or_its_azurewebjobs_form() -> None:
    assert resolve_queue_connection("SwitchboardStorage", {"SwitchboardStorage": "UseDevelopmentStorage=true"}) == (
        QueueConnection(connection_string="UseDevelopmentStorage=true")
    )
    assert resolve_queue_connection("Jobs", {"AzureWebJobsJobs": "UseDevelopmentStorage=true"}).connection_string
    assert resolve_queue_connection(None, {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}).connection_string


def test_the_identity_based_form_with_a_user_assigned_identity_as_in_azure() -> None:
    env = {
        "SwitchboardStorage": "",
        "SwitchboardStorage__accountName": "stswitchboardprod",
        "SwitchboardStorage__queueServiceUri": URI,
        "SwitchboardStorage__credential": "managedidentity",
        "SwitchboardStorage__clientId": CLIENT_ID,
    }
    assert resolve_queue_connection("SwitchboardStorage", env) == QueueConnection(
        queue_service_uri=URI, client_id=CLIENT_ID
    )
    without_credential = {k: v for k, v in env.items() if not k.endswith("__credential")}
    assert resolve_queue_connection("SwitchboardStorage", without_credential).client_id is None  # your own login


def test_a_connection_set_neither_way_says_what_to_set() -> None:
    with pytest.raises(ValueError, match=r"SwitchboardStorage__queueServiceUri") as raised:
        resolve_queue_connection("SwitchboardStorage", {"SwitchboardStorage__accountName": "stswitchboardprod"})
    assert "UseDevelopmentStorage=true" in str(raised.value)
