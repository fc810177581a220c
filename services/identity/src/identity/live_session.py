"""Sensitive changes need the token's session to be live, not only the token to be valid.
Ending a session ("sign out this one", "everywhere else", a password change) revokes its
refresh tokens, but the access token (15 minutes, `sid` = the session) stays valid, and
claims_shared.auth remembers tokens it verified; so the routes that add or remove a way into
the account, change the password or show and end sessions ask identity's own table, one
indexed query, before they act (OWASP ASVS V7.4: termination takes effect at once)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import Depends

from claims_shared.auth import SCOPE_PASSWORD_CHANGE, CurrentCustomer, PasswordChanger, Principal
from claims_shared.errors import Message, Refusal
from claims_shared.web import Now, Wired
from identity.recent_sign_in import RecentlySignedIn

ENDED_SESSION = Refusal(
    401,
    "session_ended",
    Message(
        "このログインは終了しています（ほかの端末からログアウトされたか、パスワードが変更されました）。"
        "もう一度ログインしてください。",
        "This session has ended (it was logged out from another device, or the password was "
        "changed). Please log in again.",
    ),
)


class LiveSessions(Protocol):
    """identity.sessions.RefreshTokens: whether a session can still refresh."""

    async def is_live(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> bool: ...


LIVE_SESSIONS = Wired[LiveSessions]("live_sessions")
SessionsDep = Annotated[LiveSessions, Depends(LIVE_SESSIONS)]


async def _require_live(principal: Principal, sessions: LiveSessions, now: datetime) -> Principal:
    """A token without `sid` belongs to no session that could be live: refused too."""
    sid = principal.session_id
    user_id = uuid.UUID(principal.user_id)
    if sid is None or not await sessions.is_live(user_id, uuid.UUID(sid), now):
        raise ENDED_SESSION.error()
    return principal


async def live_customer(principal: CurrentCustomer, sessions: SessionsDep, now: Now) -> Principal:
    return await _require_live(principal, sessions, now)


async def live_recent(principal: RecentlySignedIn, sessions: SessionsDep, now: Now) -> Principal:
    return await _require_live(principal, sessions, now)


async def live_password_changer(
    principal: PasswordChanger, sessions: SessionsDep, now: Now
) -> Principal:
    """A temporary password's token has no session to end (no refresh token, 15 minutes, only
    this route), so it passes as it is; a full session's must still be live."""
    if SCOPE_PASSWORD_CHANGE in principal.scopes:
        return principal
    return await _require_live(principal, sessions, now)


LiveCustomer = Annotated[Principal, Depends(live_customer)]
LiveRecentlySignedIn = Annotated[Principal, Depends(live_recent)]
LivePasswordChanger = Annotated[Principal, Depends(live_password_changer)]
