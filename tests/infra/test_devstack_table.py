"""devstack.table creates, outside CloudFormation, exactly the table infra/template.json declares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.table import create_table, table_properties

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.json"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def test_table_properties_are_the_templates() -> None:
    template = json.loads(TEMPLATE.read_text())
    assert table_properties() == template["Resources"]["Table"]["Properties"]
    table_properties()["KeySchema"].clear()  # a copy: callers cannot change what the next one reads
    assert table_properties()["KeySchema"]


def test_creates_the_templates_table(dynamodb: Any) -> None:
    properties = table_properties()
    create_table(dynamodb, "sesh-unit")

    table = dynamodb.describe_table(TableName="sesh-unit")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == properties["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(properties["AttributeDefinitions"], key=str)
    assert table["BillingModeSummary"]["BillingMode"] == properties["BillingMode"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": properties["StreamSpecification"]["StreamViewType"],
    }
    created = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table["GlobalSecondaryIndexes"]}
    declared = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in properties["GlobalSecondaryIndexes"]}
    assert created == declared

    ttl = dynamodb.describe_time_to_live(TableName="sesh-unit")["TimeToLiveDescription"]
    expected_ttl = properties["TimeToLiveSpecification"]["AttributeName"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": expected_ttl}


def test_is_idempotent_and_keeps_data(dynamodb: Any) -> None:
    create_table(dynamodb, "sesh-unit")
    dynamodb.put_item(TableName="sesh-unit", Item={"PK": {"S": "a"}, "SK": {"S": "b"}})
    create_table(dynamodb, "sesh-unit")
    assert dynamodb.get_item(TableName="sesh-unit", Key={"PK": {"S": "a"}, "SK": {"S": "b"}})["Item"]
    assert dynamodb.describe_time_to_live(TableName="sesh-unit")["TimeToLiveDescription"]["TimeToLiveStatus"] == (
        "ENABLED"
    )


def test_refuses_an_existing_table_that_expires_items_on_another_attribute(dynamodb: Any) -> None:
    create_table(dynamodb, "sesh-unit")
    dynamodb.update_time_to_live(
        TableName="sesh-unit", TimeToLiveSpecification={"AttributeName": "expires_at", "Enabled": False}
    )
    dynamodb.update_time_to_live(
        TableName="sesh-unit", TimeToLiveSpecification={"AttributeName": "other_ttl", "Enabled": True}
    )
    with pytest.raises(RuntimeError, match="other_ttl"):
        create_table(dynamodb, "sesh-unit")
