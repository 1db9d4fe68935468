"""Settings every test tier shares. Each tier's own conftest adds its backend (moto, DynamoDB Local,
the local stack). The environment is set here, at import, because settings are read once when
chalicelib is first imported."""

from __future__ import annotations

import json
import os

from devstack.issuer import Issuer

TEST_ISSUER = Issuer(issuer="https://issuer.sesh.test", audience="sesh-test")

os.environ.update(
    {
        "STAGE": "test",
        "TABLE_NAME": "sesh-test",
        "UPLOADS_BUCKET": "sesh-test-uploads",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "JWT_ISSUER": TEST_ISSUER.issuer,
        "JWT_AUDIENCE": TEST_ISSUER.audience,
        "JWKS_JSON": json.dumps(TEST_ISSUER.jwks()),
        "CURSOR_SECRET": "test-cursor-secret",
        "CORS_ALLOWED_ORIGINS": "https://app.sesh.test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Sesh/test",
        "POWERTOOLS_DEV": "false",
    }
)
