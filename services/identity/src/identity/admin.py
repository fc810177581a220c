"""Operator commands for identity.

python -m identity.admin create-staff --email EMAIL --role adjuster [--role operator]
    (the password is read from standard input, never from the command line)
python -m identity.admin rotate-signing-key
python -m identity.admin rotate-kek
    (IDENTITY_KEY_ENCRYPTION_KEY the new key-encryption key, IDENTITY_PREVIOUS_KEY_ENCRYPTION_KEY
    the one before: every signing key is sealed again under the new one)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg

from claims_shared.emails import EmailRefused, email_address
from claims_shared.migrations import migrate
from claims_shared.passwords import hash_password, refuse_password
from claims_shared.projection import Projector
from claims_shared.settings import eventsourcing_env
from identity.application import Accounts
from identity.domain import STAFF_ROLES
from identity.lookup import AccountEmails, find_account
from identity.schema import SCHEMA
from identity.settings import IdentitySettings
from identity.tokens import SigningKeys


async def create_staff(
    settings: IdentitySettings, typed_email: str, roles: list[str], password: str
) -> int:
    try:
        email = email_address(typed_email)
    except EmailRefused as error:
        print(f"email refused: {error.refusal.message.en}", file=sys.stderr)
        return 2
    refusal = refuse_password(password, email=email)
    if refusal is not None:
        print(f"password refused: {refusal.message.en}", file=sys.stderr)
        return 2
    await migrate(SCHEMA, settings.database_url)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    accounts = Accounts(env=eventsourcing_env(settings.database_url))
    try:
        projector = Projector(application=accounts, read_model=AccountEmails(), pool=pool)
        await projector.catch_up()
        if await find_account(pool, email) is not None:
            print(f"an account for {email} already exists", file=sys.stderr)
            return 1
        user_id = uuid.uuid4()
        accounts.register(
            user_id=user_id,
            email=email,
            customer_id=None,
            policy_numbers=[],
            password_hash=hash_password(password),
            must_change_password=False,
            temporary_password_expires_at=None,
            language="ja",
            roles=roles,
        )
        await projector.catch_up()
        print(f"staff account {user_id} created for {email} ({', '.join(roles)})")
        return 0
    finally:
        accounts.close()
        await pool.close()


@asynccontextmanager
async def stored_signing_keys(settings: IdentitySettings) -> AsyncIterator[SigningKeys]:
    """The signing keys in identity's database, opened with the key-encryption key(s)."""
    await migrate(SCHEMA, settings.database_url)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        yield SigningKeys(pool, settings.key_encryption_key, settings.previous_key_encryption_key)
    finally:
        await pool.close()


async def rotate_signing_key(settings: IdentitySettings) -> int:
    async with stored_signing_keys(settings) as keys:
        key = await keys.rotate(datetime.now(UTC))
    print(f"new signing key {key.kid}; older keys stay published until their tokens expire")
    return 0


async def rotate_kek(settings: IdentitySettings) -> int:
    """Re-seal the signing keys under the new key-encryption key. Safe to run again, and to
    cut short: each key is sealed again in a transaction of its own, keys already done are
    skipped, and running instances given both keys open every key meanwhile."""
    if not settings.previous_key_encryption_key:
        print(
            "set IDENTITY_PREVIOUS_KEY_ENCRYPTION_KEY to the key-encryption key being replaced "
            "(and IDENTITY_KEY_ENCRYPTION_KEY to the new one)",
            file=sys.stderr,
        )
        return 2
    async with stored_signing_keys(settings) as keys:
        resealed = await keys.reseal()
    print(
        f"{resealed} signing key(s) sealed again under the new key-encryption key; every key "
        "now opens with it alone: remove IDENTITY_PREVIOUS_KEY_ENCRYPTION_KEY"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m identity.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    staff = commands.add_parser("create-staff", help="create a staff account (password on stdin)")
    staff.add_argument("--email", required=True)
    staff.add_argument("--role", action="append", required=True, choices=sorted(STAFF_ROLES))
    commands.add_parser("rotate-signing-key", help="sign new tokens with a fresh key")
    commands.add_parser("rotate-kek", help="seal the signing keys under a new key-encryption key")
    args = parser.parse_args(argv)
    settings = IdentitySettings()
    if args.command == "create-staff":
        password = sys.stdin.readline().rstrip("\n")
        return asyncio.run(create_staff(settings, args.email, args.role, password))
    if args.command == "rotate-kek":
        return asyncio.run(rotate_kek(settings))
    return asyncio.run(rotate_signing_key(settings))


if __name__ == "__main__":
    sys.exit(main())
