"""A small JWT issuer with its own RSA key: the local stack's login, and the tests' token source.

It signs RS256 tokens shaped like Cognito's (sub, email, name, roles, iss, aud, iat, nbf, exp) and
publishes the matching JWKS, which the app is configured to trust (JWKS_JSON or a JWKS URL).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Issuer:
    issuer: str
    audience: str
    kid: str = "sesh-dev-1"
    private_key: rsa.RSAPrivateKey = field(default_factory=_new_key)

    @classmethod
    def from_pem(cls, pem: bytes, **kwargs: Any) -> Issuer:
        key = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return cls(private_key=key, **kwargs)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        public.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}

    def mint(
        self,
        subject: str,
        *,
        now: datetime,
        email: str | None = None,
        name: str | None = None,
        roles: list[str] | tuple[str, ...] = ("player",),
        ttl_seconds: int = 3600,
        audience: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        issued = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience or self.audience,
            "sub": subject,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_seconds,
            "roles": list(roles),
        }
        if email:
            claims["email"] = email
        if name:
            claims["name"] = name
        claims.update(extra or {})
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})
