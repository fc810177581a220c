"""Operator commands of the notifier.

    python -m notifier.admin generate-sealing-key

prints a new X25519 key pair for sealing temporary passwords: the private half goes to the
notifier (NOTIFIER_SEALING_PRIVATE_KEY), the public half to identity and registration
(NOTIFIER_SEALING_PUBLIC_KEY). The rotation order is in docs/operations.md.

    python -m notifier.admin generate-vapid-key

prints a new P-256 key for signing Web Push requests (VAPID, RFC 8292): the private half goes to
the notifier (NOTIFIER_VAPID_PRIVATE_KEY); the public half is what browsers subscribe with, and
the notifier serves it itself (GET /api/v1/push/vapid-public-key). Push services tie each
subscription to the key it was made with, so a new key means the apps subscribe again: they do
when they next open and find the served key changed."""

from __future__ import annotations

import argparse
import base64

from nacl.public import PrivateKey

from notifier.push_sending import generate_vapid_key


def generate_sealing_key() -> tuple[str, str]:
    key = PrivateKey.generate()
    return (
        base64.b64encode(bytes(key)).decode(),
        base64.b64encode(bytes(key.public_key)).decode(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="notifier.admin", description=__doc__)
    parser.add_argument("command", choices=["generate-sealing-key", "generate-vapid-key"])
    arguments = parser.parse_args()
    if arguments.command == "generate-vapid-key":
        private, public = generate_vapid_key()
        print(f"NOTIFIER_VAPID_PRIVATE_KEY={private}")
        print(f"# the application server key browsers subscribe with: {public}")
        return
    private, public = generate_sealing_key()
    print(f"NOTIFIER_SEALING_PRIVATE_KEY={private}")
    print(f"NOTIFIER_SEALING_PUBLIC_KEY={public}")


if __name__ == "__main__":
    main()
