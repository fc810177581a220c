"""Changes that open or close a way into the account (adding or removing a passkey) need a
recent sign-in (OWASP ASVS V7 re-authentication): a session left open on a shared computer
must not be enough. Recent = the access token's `auth_time` within
IDENTITY_RECENT_SIGN_IN_SECONDS; refreshes keep `auth_time`, so only a new log-in renews it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends

from claims_shared.auth import CurrentCustomer, Principal
from claims_shared.errors import Message, Refusal
from claims_shared.web import Now, Wired

SIGN_IN_AGAIN = Refusal(
    403,
    "sign_in_again",
    Message(
        "安全のため、もう一度ログインしてから操作してください。",
        "For your safety, please log in again before doing this.",
    ),
)


@dataclass(frozen=True)
class RecentSignIn:
    window: timedelta


RECENT_SIGN_IN = Wired[RecentSignIn]("recent_sign_in")


async def recently_signed_in(
    principal: CurrentCustomer,
    now: Now,
    rule: Annotated[RecentSignIn, Depends(RECENT_SIGN_IN)],
) -> Principal:
    """A token without auth_time (issued before it existed) is never recent."""
    signed_in_at = principal.signed_in_at
    if signed_in_at is None or now.timestamp() - signed_in_at > rule.window.total_seconds():
        raise SIGN_IN_AGAIN.error()
    return principal


RecentlySignedIn = Annotated[Principal, Depends(recently_signed_in)]
