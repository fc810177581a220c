"""Operator commands of the notifier.

    python -m notifier.admin generate-sealing-key

prints a new X25519 key pair for sealing temporary passwords: the private half goes to the
notifier (NOTIFIER_SEALING_PRIVATE_KEY), the public half to identity and registration
(NOTIFIER_SEALING_PUBLIC_KEY). The rotation order is in docs/operations.md."""

from __future__ import annotations

import argparse
import base64

from nacl.public import PrivateKey


def generate_sealing_key() -> tuple[str, str]:
    key = PrivateKey.generate()
    return (
        base64.b64encode(bytes(key)).decode(),
        base64.b64encode(bytes(key.public_key)).decode(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="notifier.admin", description=__doc__)
    parser.add_argument("command", choices=["generate-sealing-key"])
    parser.parse_args()
    private, public = generate_sealing_key()
    print(f"NOTIFIER_SEALING_PRIVATE_KEY={private}")
    print(f"NOTIFIER_SEALING_PUBLIC_KEY={public}")


if __name__ == "__main__":
    main()
