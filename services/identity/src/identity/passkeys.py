"""Passkeys (パスキー): WebAuthn discoverable credentials a customer adds after logging in and
signs in with instead of the password, checked by py_webauthn. Every challenge is kept here,
server-side, and taken once; the browser only ever sees its id and the options.

A sign count that does not move forward (after the signature is verified) means the credential
was copied to a second authenticator, or an old answer is replayed: refused and logged."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn, Protocol

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from claims_shared.logging import get_logger

log = get_logger(__name__)

Purpose = Literal["registration", "sign_in"]
DEFAULT_NAME = "パスキー"


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the id is the site's domain, the origins the pages that may
    use them (IDENTITY_WEBAUTHN_RP_ID, IDENTITY_WEBAUTHN_ORIGINS)."""

    rp_id: str
    name: str
    origins: tuple[str, ...]
    challenge_lifetime: timedelta


@dataclass(frozen=True)
class Challenge:
    challenge_id: uuid.UUID
    challenge: bytes
    purpose: Purpose
    user_id: uuid.UUID | None
    expires_at: datetime


@dataclass(frozen=True)
class Passkey:
    passkey_id: uuid.UUID
    user_id: uuid.UUID
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    name: str
    created_at: datetime
    last_used_at: datetime | None = None
    disabled_at: datetime | None = None
    """Set when a sign-in showed it cloned: it signs nobody in again."""


@dataclass(frozen=True)
class Ceremony:
    """What the browser needs to start: the challenge's id to send back, and the options."""

    challenge_id: uuid.UUID
    options: dict[str, Any]


class PasskeyStore(Protocol):
    """identity.passkey_store.Passkeys in PostgreSQL; a dict in the fast tier."""

    async def of_user(self, user_id: uuid.UUID) -> list[Passkey]: ...

    async def by_credential(self, credential_id: bytes) -> Passkey | None: ...

    async def add(self, passkey: Passkey, then: Callable[[], Awaitable[None]]) -> bool:
        """Stores it and runs `then` before committing; False if the credential is known."""

    async def remove(
        self, user_id: uuid.UUID, passkey_id: uuid.UUID, then: Callable[[Passkey], Awaitable[None]]
    ) -> bool:
        """Deletes the account's passkey and runs `then` before committing; False if none."""

    async def record_use(self, passkey_id: uuid.UUID, sign_count: int, now: datetime) -> bool:
        """Moves the sign count forward; False if it is not above the stored one (a
        concurrent sign-in with the same count lost the race)."""

    async def disable(
        self, passkey_id: uuid.UUID, now: datetime, then: Callable[[], Awaitable[None]]
    ) -> None:
        """Marks it disabled and runs `then` before committing, once: a passkey already
        disabled is left as it was, without a second notice."""


class ChallengeStore(Protocol):
    async def keep(self, challenge: Challenge, now: datetime) -> None:
        """Stores it, sweeping the expired ones."""

    async def take(
        self, challenge_id: uuid.UUID, purpose: Purpose, now: datetime
    ) -> Challenge | None:
        """Deletes and returns the challenge if it is of this purpose and still valid."""


class ChallengeExpired(Exception):
    """The challenge was used already, has expired, or was never given."""


class PasskeyNotVerified(Exception):
    """The browser's answer did not verify (origin, challenge, signature, user verification)."""


class PasskeyAlreadyAdded(Exception):
    pass


class PasskeyNotFound(Exception):
    pass


class PasskeyRefused(Exception):
    """A sign-in with a passkey that failed: unknown credential, a bad answer, a cloned one."""


def sign_count_went_back(stored: int, presented: int) -> bool:
    """WebAuthn §6.1.1: authenticators that count (most roaming keys) must count up; one that
    reports 0 every time (synced passkeys) does not count at all, and both 0 is fine."""
    return (presented > 0 or stored > 0) and presented <= stored


def passkey_name(name: str | None, now: datetime) -> str:
    """The customer's name for it, or パスキー with the date, so two stay distinguishable."""
    given = (name or "").strip()
    return given or f"{DEFAULT_NAME} {now:%Y-%m-%d}"


@dataclass
class PasskeyService:
    relying_party: RelyingParty
    passkeys: PasskeyStore
    challenges: ChallengeStore

    async def registration_options(self, user_id: uuid.UUID, email: str, now: datetime) -> Ceremony:
        """A discoverable credential with user verification, never one the account has."""
        challenge = await self._new_challenge("registration", user_id, now)
        existing = await self.passkeys.of_user(user_id)
        options = generate_registration_options(
            rp_id=self.relying_party.rp_id,
            rp_name=self.relying_party.name,
            user_id=user_id.bytes,
            user_name=email,
            user_display_name=email,
            challenge=challenge.challenge,
            timeout=self._timeout_ms,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[_descriptor(passkey) for passkey in existing],
        )
        return Ceremony(challenge.challenge_id, _as_json(options_to_json(options)))

    async def add(
        self,
        user_id: uuid.UUID,
        challenge_id: uuid.UUID,
        credential: dict[str, Any],
        name: str | None,
        now: datetime,
        notify: Callable[[str], Awaitable[None]],
    ) -> Passkey:
        """`notify` records PasskeyAdded in the same transaction as the row."""
        challenge = await self._take(challenge_id, "registration", now)
        if challenge.user_id != user_id:
            raise ChallengeExpired
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge.challenge,
                expected_rp_id=self.relying_party.rp_id,
                expected_origin=list(self.relying_party.origins),
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError) as error:
            log.info("passkey registration not verified", reason=str(error))
            raise PasskeyNotVerified from error
        passkey = Passkey(
            passkey_id=uuid.uuid4(),
            user_id=user_id,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=_transports(credential),
            name=passkey_name(name, now),
            created_at=now,
        )
        if not await self.passkeys.add(passkey, lambda: notify(passkey.name)):
            raise PasskeyAlreadyAdded
        return passkey

    async def remove(
        self, user_id: uuid.UUID, passkey_id: uuid.UUID, notify: Callable[[str], Awaitable[None]]
    ) -> None:
        async def removed(passkey: Passkey) -> None:
            await notify(passkey.name)

        if not await self.passkeys.remove(user_id, passkey_id, removed):
            raise PasskeyNotFound

    async def sign_in_options(self, now: datetime) -> Ceremony:
        """Usernameless: no credential list, the authenticator offers the site's passkeys."""
        challenge = await self._new_challenge("sign_in", None, now)
        options = generate_authentication_options(
            rp_id=self.relying_party.rp_id,
            challenge=challenge.challenge,
            timeout=self._timeout_ms,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return Ceremony(challenge.challenge_id, _as_json(options_to_json(options)))

    async def verify_sign_in(
        self,
        challenge_id: uuid.UUID,
        credential: dict[str, Any],
        now: datetime,
        notify_disabled: Callable[[Passkey], Awaitable[None]],
    ) -> uuid.UUID:
        """The account the verified passkey belongs to. A cloned one is disabled as well as
        refused, and `notify_disabled` (the PasskeyDisabled notice) commits with it."""
        challenge = await self._take(challenge_id, "sign_in", now)
        try:
            parsed = parse_authentication_credential_json(credential)
        except (WebAuthnException, ValueError) as error:
            raise PasskeyRefused from error
        passkey = await self.passkeys.by_credential(parsed.raw_id)
        if passkey is None:
            log.info("passkey sign-in with an unknown credential")
            raise PasskeyRefused
        if passkey.disabled_at is not None:
            log.warning(
                "passkey sign-in with a disabled passkey", passkey_id=str(passkey.passkey_id)
            )
            raise PasskeyRefused
        # Usernameless, so the handle names the account and must be there (WebAuthn §7.2 6).
        if parsed.response.user_handle != passkey.user_id.bytes:
            log.warning(
                "passkey user handle missing or differs", passkey_id=str(passkey.passkey_id)
            )
            raise PasskeyRefused
        presented = self._verify_assertion(parsed, challenge, passkey)
        if sign_count_went_back(passkey.sign_count, presented):
            await self._disable_cloned(passkey, presented, now, notify_disabled)
        if not await self.passkeys.record_use(passkey.passkey_id, presented, now):
            log.warning(
                "passkey sign-in lost the race for its sign count: refused",
                passkey_id=str(passkey.passkey_id),
                presented=presented,
            )
            raise PasskeyRefused
        return passkey.user_id

    async def _disable_cloned(
        self,
        passkey: Passkey,
        presented: int,
        now: datetime,
        notify: Callable[[Passkey], Awaitable[None]],
    ) -> NoReturn:
        """The signature was the passkey's, so its key was copied: no later answer from it can
        be trusted, whichever copy gives it. Only a count going back against the stored one
        disables; a lost race of two sign-ins at the same moment (record_use) only refuses."""
        log.warning(
            "passkey sign count went back: a cloned credential, disabled and refused",
            passkey_id=str(passkey.passkey_id),
            user_id=str(passkey.user_id),
            stored=passkey.sign_count,
            presented=presented,
        )

        async def told() -> None:
            await notify(passkey)

        await self.passkeys.disable(passkey.passkey_id, now, told)
        raise PasskeyRefused

    def _verify_assertion(self, parsed: Any, challenge: Challenge, passkey: Passkey) -> int:
        """The new sign count, once origin, RP id, challenge, user verification and the
        signature hold. The count is compared by sign_count_went_back, not by the library
        (given 0), so a cloned credential is told apart from a bad answer in the log."""
        try:
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge.challenge,
                expected_rp_id=self.relying_party.rp_id,
                expected_origin=list(self.relying_party.origins),
                credential_public_key=passkey.public_key,
                credential_current_sign_count=0,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError) as error:
            log.info("passkey sign-in not verified", reason=str(error))
            raise PasskeyRefused from error
        return verified.new_sign_count

    async def _new_challenge(
        self, purpose: Purpose, user_id: uuid.UUID | None, now: datetime
    ) -> Challenge:
        challenge = Challenge(
            challenge_id=uuid.uuid4(),
            challenge=secrets.token_bytes(32),
            purpose=purpose,
            user_id=user_id,
            expires_at=now + self.relying_party.challenge_lifetime,
        )
        await self.challenges.keep(challenge, now)
        return challenge

    async def _take(self, challenge_id: uuid.UUID, purpose: Purpose, now: datetime) -> Challenge:
        challenge = await self.challenges.take(challenge_id, purpose, now)
        if challenge is None:
            raise ChallengeExpired
        return challenge

    @property
    def _timeout_ms(self) -> int:
        return int(self.relying_party.challenge_lifetime.total_seconds() * 1000)


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=passkey.credential_id,
        transports=[AuthenticatorTransport(t) for t in passkey.transports if _known(t)],
    )


def _known(transport: str) -> bool:
    return transport in {t.value for t in AuthenticatorTransport}


def _transports(credential: dict[str, Any]) -> tuple[str, ...]:
    """As the browser reported them (getTransports()), only the values WebAuthn names."""
    response = credential.get("response")
    reported = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(reported, list):
        return ()
    return tuple(t for t in reported if isinstance(t, str) and _known(t))


def _as_json(text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(text)
    return parsed
