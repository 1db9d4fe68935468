"""Create the single table outside CloudFormation (moto, DynamoDB Local), from infra/template.json.

The deployed table and every local or test table come from the same definition: the `Table`
resource of the infra template. Used by the local stack, the API tests (moto) and the conformance
tests (DynamoDB Local).
"""

from __future__ import annotations

import contextlib
import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.json"
TABLE_RESOURCE = "Table"


@lru_cache(maxsize=1)
def _template_table_properties() -> str:
    template = json.loads(TEMPLATE.read_text())
    resource = template["Resources"][TABLE_RESOURCE]
    if resource["Type"] != "AWS::DynamoDB::Table":
        raise ValueError(f"{TEMPLATE}: resource {TABLE_RESOURCE} is a {resource['Type']}, not a DynamoDB table")
    return json.dumps(resource["Properties"])


def table_properties() -> dict[str, Any]:
    """The `Properties` of the template's table resource (a fresh copy: callers may change it)."""
    properties: dict[str, Any] = json.loads(_template_table_properties())
    return properties


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """The CreateTable request for `table_name`, translated from the template's properties."""
    properties = table_properties()
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties["BillingMode"],
    }
    if properties.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [
            {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
            for index in properties["GlobalSecondaryIndexes"]
        ]
    stream = properties.get("StreamSpecification")
    if stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return kwargs


def ttl_attribute() -> str | None:
    """The TTL attribute the template enables, if any."""
    ttl = table_properties().get("TimeToLiveSpecification") or {}
    return str(ttl["AttributeName"]) if ttl.get("Enabled") else None


def create_table(client: Any, table_name: str, timeout: float = 60.0) -> None:
    """Create the table with a boto3 DynamoDB client; a no-op for a table that already exists.

    Waits until the table and its indexes are ACTIVE, then enables TTL as the template does.
    """
    # Created before (or concurrently): still wait for it and make sure TTL is on.
    with contextlib.suppress(client.exceptions.ResourceInUseException):
        client.create_table(**create_table_kwargs(table_name))
    _wait_active(client, table_name, timeout)
    _enable_ttl(client, table_name)


def _wait_active(client: Any, table_name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        table = client.describe_table(TableName=table_name)["Table"]
        indexes = table.get("GlobalSecondaryIndexes", [])
        if table["TableStatus"] == "ACTIVE" and all(index["IndexStatus"] == "ACTIVE" for index in indexes):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {table_name} is still {table['TableStatus']} after {timeout:.0f}s")
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def _enable_ttl(client: Any, table_name: str) -> None:
    attribute = ttl_attribute()
    if attribute is None:
        return
    current = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        if current.get("AttributeName") not in (None, attribute):
            raise RuntimeError(f"table {table_name} expires items on {current['AttributeName']}, not {attribute}")
        return
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"AttributeName": attribute, "Enabled": True}
    )
