"""Build the file to pass to `chalice package --merge-template` for one stage.

infra/template.json is a complete, standalone CloudFormation template (deployable on its own next to
`chalice deploy`). `chalice package --merge-template FILE` deep-merges FILE into the SAM template it
generates: dictionaries are merged key by key; for any other value (strings, lists) FILE wins.
A standalone template cannot also carry overlays for the functions Chalice generates (a resource
without a Type is invalid on its own), so this script adds them:

- `Stage` is pinned to the stage being packaged (default and only allowed value), so the packaged
  prod template can never be deployed against the dev table by forgetting a parameter override;
- every Lambda function Chalice generates for the stage (`APIHandler`, the websocket handlers,
  scheduled functions...) gets the `FunctionName` that `chalice deploy` would give it (`sesh-<stage>`,
  `sesh-<stage>-<name>`: the IAM policy's log groups and the alarms rely on these names), and
  `TABLE_NAME` / `UPLOADS_BUCKET` as `Ref`s to the table and bucket, so functions are created after
  them and follow them; with websocket handlers, also `WEBSOCKET_MANAGEMENT_URL` (the @connections
  endpoint of the stack's websocket API, for pushes from outside websocket handlers). The other
  environment variables come from .chalice/config.json;
- Chalice 1.34 bug: with `log_retention_in_days`, its SAM output names the API handler's log group
  `/aws/lambda/${ApiHandler}`, but the function's logical id is `APIHandler` (cfn-lint E1019/E3030,
  and CloudFormation refuses the template). The overlay points the log group at `APIHandler`.

The functions are listed by Chalice's own application graph (what `chalice package` builds), which
imports app.py with the stage's environment; run this in its own process.

    python -m infra.merge_template --stage prod --output build/merge-prod.json
    chalice package --stage prod --merge-template build/merge-prod.json build/prod
"""

from __future__ import annotations

import argparse
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "template.json"

# Chalice's SAM generator renames the REST API handler's resource from `ApiHandler` to `APIHandler`.
_RENAMED = {"api_handler": "APIHandler"}


def load_template() -> dict[str, Any]:
    template: dict[str, Any] = json.loads(TEMPLATE.read_text())
    return template


def stages() -> list[str]:
    allowed: list[str] = load_template()["Parameters"]["Stage"]["AllowedValues"]
    return allowed


@dataclass
class ChaliceResources:
    """What `chalice package` generates for a stage, as far as the overlay needs to know."""

    functions: dict[str, str] = field(default_factory=dict)  # {logical id: deployed function name}
    websocket_stage: str | None = None  # the websocket API's stage; None without websocket handlers
    log_groups: dict[str, str] = field(default_factory=dict)  # {log group logical id: its function's logical id}


def chalice_resources(stage: str, project_dir: Path = ROOT) -> ChaliceResources:
    """Read from Chalice's own application graph, the one `chalice package` turns into a template."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy import models
    from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
    from chalice.package import to_cfn_resource_name

    config = CLIFactory(str(project_dir)).create_config_obj(chalice_stage_name=stage)
    application = ApplicationGraphBuilder().build(config, stage)
    found = ChaliceResources()
    for resource in DependencyBuilder().build_dependencies(application):
        if isinstance(resource, models.LambdaFunction):
            logical_id = _RENAMED.get(resource.resource_name) or to_cfn_resource_name(resource.resource_name)
            found.functions[logical_id] = resource.function_name
            if resource.log_group is not None:
                found.log_groups[to_cfn_resource_name(resource.log_group.resource_name)] = logical_id
        elif isinstance(resource, models.WebsocketAPI):
            found.websocket_stage = resource.api_gateway_stage
    return found


def build(stage: str, chalice: ChaliceResources) -> dict[str, Any]:
    """The merge template for `stage`, with overlays for what Chalice generates."""
    template = copy.deepcopy(load_template())
    stage_parameter = template["Parameters"]["Stage"]
    if stage not in stage_parameter["AllowedValues"]:
        raise ValueError(f"unknown stage {stage!r}; infra/template.json allows {stage_parameter['AllowedValues']}")
    stage_parameter["Default"] = stage
    stage_parameter["AllowedValues"] = [stage]
    resources = template["Resources"]

    def overlay(logical_id: str, properties: dict[str, Any]) -> None:
        if logical_id in resources:
            raise ValueError(f"Chalice's resource {logical_id} clashes with a resource of infra/template.json")
        resources[logical_id] = {"Properties": properties}

    variables: dict[str, Any] = {"TABLE_NAME": {"Ref": "Table"}, "UPLOADS_BUCKET": {"Ref": "UploadsBucket"}}
    if chalice.websocket_stage is not None:
        # Chalice's SAM output names the websocket API `WebsocketAPI`; it references no function, so
        # the functions may reference it without a cycle.
        variables["WEBSOCKET_MANAGEMENT_URL"] = {
            "Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + chalice.websocket_stage
        }
    for logical_id, function_name in chalice.functions.items():
        overlay(logical_id, {"FunctionName": function_name, "Environment": {"Variables": copy.deepcopy(variables)}})
    for log_group, function in chalice.log_groups.items():
        if function in _RENAMED.values():
            overlay(log_group, {"LogGroupName": {"Fn::Sub": "/aws/lambda/${" + function + "}"}})
    return template


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the --merge-template file for one Chalice stage.")
    parser.add_argument("--stage", required=True, choices=stages())
    parser.add_argument("--output", type=Path, help="default: build/merge-<stage>.json")
    args = parser.parse_args(argv)
    output: Path = args.output or ROOT / "build" / f"merge-{args.stage}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(build(args.stage, chalice_resources(args.stage)), indent=2) + "\n")
    print(output)


if __name__ == "__main__":
    main()
