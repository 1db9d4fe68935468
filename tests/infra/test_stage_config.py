""".chalice/config.json: each stage's settings agree with the app's Settings and the infra template."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
TEMPLATE = json.loads((ROOT / "infra" / "template.json").read_text())
STAGES = sorted(CONFIG["stages"])

# Read by the libraries rather than by Settings.
LIBRARY_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}
REQUIRED = {"STAGE", "TABLE_NAME", "UPLOADS_BUCKET", "JWT_ISSUER", "JWT_AUDIENCE", "CORS_ALLOWED_ORIGINS"}


def env(stage: str) -> dict[str, str]:
    variables: dict[str, str] = CONFIG["stages"][stage]["environment_variables"]
    return variables


def settings_for(stage: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings a Lambda function of `stage` reads: only the stage's variables are set."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in env(stage).items():
        monkeypatch.setenv(name, value)
    return Settings()


def template_default(value: Any, stage: str) -> str:
    """A template value with the default parameters: `Fn::Sub` of ${Stage}, or the default branch of Fn::If."""
    if isinstance(value, dict) and "Fn::If" in value:
        value = value["Fn::If"][1]
    assert isinstance(value, dict) and set(value) == {"Fn::Sub"}, value
    return str(value["Fn::Sub"]).replace("${Stage}", stage)


def test_stages_are_dev_and_prod_and_nothing_is_set_for_every_stage() -> None:
    assert CONFIG["app_name"] == "sesh"
    assert STAGES == ["dev", "prod"] == sorted(TEMPLATE["Parameters"]["Stage"]["AllowedValues"])
    # Tests run the app under a stage that is not configured, so nothing may override their environment.
    assert not CONFIG.get("environment_variables")


@pytest.mark.parametrize("stage", STAGES)
def test_stage_shape(stage: str) -> None:
    config = CONFIG["stages"][stage]
    # The API Gateway stages are named after the Chalice stages: the IAM policy (ManageConnections)
    # and the 5xx alarm of infra/template.json rely on it.
    assert config["api_gateway_stage"] == stage
    assert config["xray"] is True  # Powertools Tracer
    # For every function, with chalice deploy and chalice package alike (infra/merge_template.py works
    # around chalice package's broken reference to the API handler's log group).
    assert config["log_retention_in_days"] in (14, 30, 60, 90, 180, 365)


@pytest.mark.parametrize("stage", STAGES)
def test_environment_variables_are_settings(stage: str) -> None:
    variables = env(stage)
    known = {name.upper() for name in Settings.model_fields} | LIBRARY_VARIABLES
    assert set(variables) <= known, f"not read by anything: {set(variables) - known}"
    assert set(variables) >= REQUIRED | LIBRARY_VARIABLES
    assert variables["STAGE"] == stage
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == f"Sesh/{stage}"
    assert re.fullmatch(r"https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/\S+", variables["JWT_ISSUER"])


@pytest.mark.parametrize("stage", STAGES)
def test_no_secrets_in_config(stage: str) -> None:
    # Secrets come from SSM at runtime (/sesh/<stage>/<name>), never from committed config.
    for name, value in env(stage).items():
        assert not re.search(r"SECRET|PASSWORD|PRIVATE|API_KEY|TOKEN|DSN", name), name
        assert not re.match(r"(sk|rk|whsec)_", value), name


@pytest.mark.parametrize("stage", STAGES)
def test_settings_read_the_stage(stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(stage, monkeypatch)
    resources = TEMPLATE["Resources"]
    assert settings.stage == stage
    assert settings.table_name == template_default(resources["Table"]["Properties"]["TableName"], stage)
    assert settings.uploads_bucket == template_default(resources["UploadsBucket"]["Properties"]["BucketName"], stage)
    # The API's CORS origins are the origins the bucket accepts uploads from.
    origins = TEMPLATE["Mappings"]["StageSettings"][stage]["UploadOrigins"]
    assert settings.cors_allowed_origins == tuple(origins)
    assert all(origin.startswith(("https://", "http://localhost:")) for origin in origins)
    assert settings.jwt_issuer == env(stage)["JWT_ISSUER"]
    assert settings.jwt_audience == env(stage)["JWT_AUDIENCE"]
