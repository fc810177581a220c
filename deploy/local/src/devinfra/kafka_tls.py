"""The local broker's private CA and certificate (for 127.0.0.1 and localhost), made once with
the `cryptography` package into the broker's state folder. Clients trust `ca.pem`
(KAFKA_SSL_CAFILE); the broker reads `broker.pem` (its key and chain, a PEM keystore)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 3650


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "claims-status local"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: x509.Name,
    public: ec.EllipticCurvePublicKey,
    issuer: x509.Name,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256())


def make_certificates(folder: Path) -> tuple[Path, Path]:
    """`ca.pem` and `broker.pem` in `folder`, made once; their paths."""
    ca_file, broker_file = folder / "ca.pem", folder / "broker.pem"
    if ca_file.exists() and broker_file.exists():
        return ca_file, broker_file
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("claims-status local Kafka CA")
    ca = _certificate(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    broker = _certificate(_name("127.0.0.1"), key.public_key(), ca_name, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    broker_file.write_bytes(_pem_key(key) + broker.public_bytes(pem) + ca.public_bytes(pem))
    broker_file.chmod(0o600)
    ca_file.write_bytes(ca.public_bytes(pem))
    return ca_file, broker_file
