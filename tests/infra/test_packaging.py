"""`chalice package --merge-template` for every stage, then cfn-lint on what operators would deploy.

One module-scoped fixture packages both stages. Chalice caches the dependency zip under
.chalice/deployments, keyed by requirements.txt *and* the app's source (app.py, chalicelib/): the first
run after any code change downloads the Linux wheels and builds the zip (~25 s); later runs reuse it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = sorted(CONFIG["stages"])


def clean_env() -> dict[str, str]:
    """The environment of an operator's shell: none of the app's settings (the tests set them), a region."""
    app_variables = {name.upper() for name in Settings.model_fields} | {"JWKS_JSON", "CURSOR_SECRET"}
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in app_variables and not name.startswith("POWERTOOLS_")
    }
    env["AWS_DEFAULT_REGION"] = "us-east-1"  # chalice package refuses to run without a region
    return env


def run(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=timeout)


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational (informational rules are
    # off by default). We require 0: warnings (unreachable conditions, deprecated runtimes...) are
    # deploy problems in waiting, so they fail the suite too.
    return run([str(BIN / "cfn-lint"), str(path)], timeout=300)


@dataclass(frozen=True)
class Packaged:
    path: Path  # sam.json as chalice package wrote it
    template: dict[str, Any]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Packaged]:
    """{stage: the SAM template chalice package wrote}, merged with the stage's infra template."""
    out = tmp_path_factory.mktemp("package")
    templates: dict[str, Packaged] = {}
    for stage in STAGES:
        merge = out / f"merge-{stage}.json"
        built = run([sys.executable, "-m", "infra.merge_template", "--stage", stage, "--output", str(merge)])
        assert built.returncode == 0, built.stderr
        target = out / stage
        result = run([str(BIN / "chalice"), "package", "--stage", stage, "--merge-template", str(merge), str(target)])
        assert result.returncode == 0, f"chalice package --stage {stage} failed:\n{result.stdout}\n{result.stderr}"
        assert (target / "deployment.zip").is_file()
        templates[stage] = Packaged(target / "sam.json", json.loads((target / "sam.json").read_text()))
    return templates


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_standalone_infra_template_passes_cfn_lint() -> None:
    result = cfn_lint(ROOT / "infra" / "template.json")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stage", STAGES)
def test_packaged_template_passes_cfn_lint(packaged: dict[str, Packaged], stage: str) -> None:
    result = cfn_lint(packaged[stage].path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stage", STAGES)
def test_every_resource_is_complete(packaged: dict[str, Packaged], stage: str) -> None:
    # An overlay for a function Chalice did not generate would leave a resource without a Type.
    untyped = [name for name, r in packaged[stage].template["Resources"].items() if "Type" not in r]
    assert untyped == []


@pytest.mark.parametrize("stage", STAGES)
def test_stage_is_pinned(packaged: dict[str, Packaged], stage: str) -> None:
    parameter = packaged[stage].template["Parameters"]["Stage"]
    assert parameter["Default"] == stage
    assert parameter["AllowedValues"] == [stage]


@pytest.mark.parametrize("stage", STAGES)
def test_functions_use_the_stacks_table_and_bucket(packaged: dict[str, Packaged], stage: str) -> None:
    template = packaged[stage].template
    functions = resources(template, "AWS::Serverless::Function")
    assert "APIHandler" in functions
    config_env = CONFIG["stages"][stage]["environment_variables"]
    for name, function in functions.items():
        properties = function["Properties"]
        variables = properties["Environment"]["Variables"]
        assert variables["TABLE_NAME"] == {"Ref": "Table"}, name
        assert variables["UPLOADS_BUCKET"] == {"Ref": "UploadsBucket"}, name
        for key, value in config_env.items():
            if key not in ("TABLE_NAME", "UPLOADS_BUCKET"):
                assert variables[key] == value, (name, key)
        if "WebsocketAPI" in template["Resources"]:
            url = variables["WEBSOCKET_MANAGEMENT_URL"]["Fn::Sub"]
            assert url == f"https://${{WebsocketAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}"
        # The names chalice deploy gives: the IAM policy's log groups and the alarms rely on them.
        expected = f"sesh-{stage}" if name == "APIHandler" else f"sesh-{stage}-"
        assert properties["FunctionName"] == expected or properties["FunctionName"].startswith(expected), name
        assert properties["Tracing"] == "Active"


def _log_group_name(value: Any, template: dict[str, Any], stage: str) -> str:
    assert isinstance(value, dict) and set(value) == {"Fn::Sub"}, value
    name = str(value["Fn::Sub"]).replace("${Stage}", stage)
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::Serverless::Function":
            name = name.replace("${" + logical_id + "}", resource["Properties"]["FunctionName"])
    return name


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_has_a_log_group_with_retention(packaged: dict[str, Packaged], stage: str) -> None:
    template = packaged[stage].template
    groups = {
        _log_group_name(group["Properties"]["LogGroupName"], template, stage): group["Properties"]
        for group in resources(template, "AWS::Logs::LogGroup").values()
    }
    for function in resources(template, "AWS::Serverless::Function").values():
        group = groups[f"/aws/lambda/{function['Properties']['FunctionName']}"]
        assert group["RetentionInDays"]


@pytest.mark.parametrize("stage", STAGES)
def test_roles_have_the_stage_policy_and_no_wildcard_actions(packaged: dict[str, Packaged], stage: str) -> None:
    expected = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    roles = resources(packaged[stage].template, "AWS::IAM::Role")
    assert roles
    for name, role in roles.items():
        documents = [p["PolicyDocument"] for p in role["Properties"]["Policies"]]
        assert documents == [expected], name
        assert not role["Properties"].get("ManagedPolicyArns"), name
        for statement in expected["Statement"]:
            for action in as_list(statement["Action"]):
                assert "*" not in action, f"{name}: {action}"


@pytest.mark.parametrize("stage", STAGES)
def test_table_is_protected(packaged: dict[str, Packaged], stage: str) -> None:
    table = packaged[stage].template["Resources"]["Table"]
    properties = table["Properties"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"


@pytest.mark.parametrize("stage", STAGES)
def test_uploads_bucket_is_private(packaged: dict[str, Packaged], stage: str) -> None:
    bucket = packaged[stage].template["Resources"]["UploadsBucket"]
    properties = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(properties["PublicAccessBlockConfiguration"]) == 4
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = properties["CorsConfiguration"]["CorsRules"]
    assert {"POST", "GET"} <= set(rule["AllowedMethods"])
    assert not {"PUT", "DELETE"} & set(rule["AllowedMethods"])
    lifecycle = properties["LifecycleConfiguration"]["Rules"]
    assert any(r["Status"] == "Enabled" and r["AbortIncompleteMultipartUpload"] for r in lifecycle)
