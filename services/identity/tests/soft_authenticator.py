"""A software passkey authenticator for the API tests: it answers the options identity hands
out the way a browser's navigator.credentials.create()/get() would (PublicKeyCredential's
toJSON()), with an ES256 key, "none" attestation and user verification, and can be told to lie
(another origin, a sign count going backwards) so the refusals can be proven."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    """One discoverable credential: its key, the account's user handle and its counter."""

    rp_id: str
    user_handle: bytes
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def answer(self, **response: Any) -> dict[str, Any]:
        """A PublicKeyCredential of this passkey as toJSON() writes it."""
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        }

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + attested


def _client_data(kind: str, options: dict[str, Any], origin: str) -> bytes:
    return json.dumps(
        {"type": kind, "challenge": options["challenge"], "origin": origin, "crossOrigin": False}
    ).encode()


def create(options: dict[str, Any], origin: str) -> tuple[SoftPasskey, dict[str, Any]]:
    """navigator.credentials.create(): a new passkey for the options' user, and the answer."""
    passkey = SoftPasskey(options["rp"]["id"], unb64url(options["user"]["id"]))
    attested = (
        bytes(16)
        + struct.pack(">H", len(passkey.credential_id))
        + passkey.credential_id
        + passkey.cose_public_key()
    )
    auth_data = passkey._auth_data(UP | UV | AT, attested)
    attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
    answer = passkey.answer(
        clientDataJSON=b64url(_client_data("webauthn.create", options, origin)),
        attestationObject=b64url(attestation),
        transports=["internal", "hybrid"],
    )
    return passkey, answer


def get(
    passkey: SoftPasskey, options: dict[str, Any], origin: str, *, count: bool = True
) -> dict[str, Any]:
    """navigator.credentials.get() with this passkey; `count` moves its counter first (an
    authenticator that counts), as every real use does."""
    if count:
        passkey.sign_count += 1
    client_data = _client_data("webauthn.get", options, origin)
    auth_data = passkey._auth_data(UP | UV)
    signature = passkey.key.sign(
        auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
    )
    return passkey.answer(
        clientDataJSON=b64url(client_data),
        authenticatorData=b64url(auth_data),
        signature=b64url(signature),
        userHandle=b64url(passkey.user_handle),
    )
