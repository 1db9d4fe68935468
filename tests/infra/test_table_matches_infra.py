"""The PynamoDB models and infra/template.json describe the same table (DESIGN §3).

Keys, attribute definitions, global indexes (names, keys, projection), billing mode and the TTL
attribute are compared both ways, so a change on either side alone fails here.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from pynamodb.attributes import TTLAttribute

import chalicelib
from chalicelib.core.table import BaseItem

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.json"


def template_table() -> dict[str, Any]:
    resource: dict[str, Any] = json.loads(TEMPLATE.read_text())["Resources"]["Table"]
    assert resource["Type"] == "AWS::DynamoDB::Table"
    return resource


def key_schema(elements: list[dict[str, str]]) -> list[tuple[str, str]]:
    # Order matters for a key schema: HASH first, then RANGE.
    return [(e["AttributeName"], e["KeyType"]) for e in elements]


def model_shape(model: type[BaseItem]) -> dict[str, Any]:
    schema = model._get_schema()
    return {
        "key_schema": key_schema(schema["key_schema"]),
        "attributes": {(a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]},
        "global_indexes": {
            index["index_name"]: (key_schema(index["key_schema"]), index["projection"])
            for index in schema["global_secondary_indexes"]
        },
        "local_indexes": {index["index_name"] for index in schema["local_secondary_indexes"]},
        "billing_mode": model.Meta.billing_mode,
    }


def template_shape() -> dict[str, Any]:
    properties = template_table()["Properties"]
    return {
        "key_schema": key_schema(properties["KeySchema"]),
        "attributes": {(a["AttributeName"], a["AttributeType"]) for a in properties["AttributeDefinitions"]},
        "global_indexes": {
            index["IndexName"]: (key_schema(index["KeySchema"]), index["Projection"])
            for index in properties.get("GlobalSecondaryIndexes", [])
        },
        "local_indexes": {index["IndexName"] for index in properties.get("LocalSecondaryIndexes", [])},
        "billing_mode": properties["BillingMode"],
    }


@pytest.mark.parametrize("part", ["key_schema", "attributes", "global_indexes", "local_indexes", "billing_mode"])
def test_base_item_and_template_declare_the_same_table(part: str) -> None:
    assert model_shape(BaseItem)[part] == template_shape()[part]


def test_the_table_has_the_designed_keys_and_indexes() -> None:
    # DESIGN §3: PK/SK strings, sparse GSIs named GSI<n> on GSI<n>PK/GSI<n>SK, all projecting ALL.
    shape = template_shape()
    assert shape["key_schema"] == [("PK", "HASH"), ("SK", "RANGE")]
    assert {"GSI1", "GSI2"} <= set(shape["global_indexes"])
    for name, (keys, projection) in shape["global_indexes"].items():
        assert keys == [(f"{name}PK", "HASH"), (f"{name}SK", "RANGE")]
        assert projection == {"ProjectionType": "ALL"}
    assert all(attribute_type == "S" for _, attribute_type in shape["attributes"])


def test_ttl_attribute_is_the_models_ttl_attribute() -> None:
    ttl_attributes = [a.attr_name for a in BaseItem.get_attributes().values() if isinstance(a, TTLAttribute)]
    ttl = template_table()["Properties"]["TimeToLiveSpecification"]
    assert ttl["Enabled"] is True
    assert ttl_attributes == [ttl["AttributeName"]]


def _all_item_classes() -> list[type[BaseItem]]:
    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(module.name)
    found: list[type[BaseItem]] = []
    pending = list(BaseItem.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_entity_lives_in_the_same_table_with_the_same_indexes() -> None:
    classes = _all_item_classes()
    assert classes, "no entity subclasses BaseItem"
    expected = model_shape(BaseItem)
    for cls in classes:
        assert cls.Meta.table_name == BaseItem.Meta.table_name, cls
        assert model_shape(cls) == expected, f"{cls.__module__}.{cls.__qualname__} declares another table shape"
