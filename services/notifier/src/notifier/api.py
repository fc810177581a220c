"""The notifier's HTTP API for customers: their notification settings (which notices come by
mail and by push). Routes take the customer from identity's access token (claims_shared.auth)
and answer 503 inside a maintenance window, like identity's customer routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, StrictBool

from claims_shared.auth import NOT_SIGNED_IN, CustomerId
from claims_shared.errors import ErrorTable
from claims_shared.inputs import RequestBody
from claims_shared.web import Wired, outside_maintenance
from notifier.preferences import Channels, NoticeKind, NotificationPreferences

PREFERENCES = Wired[NotificationPreferences]("notification_preferences")
Preferences = Annotated[NotificationPreferences, Depends(PREFERENCES)]


class ContactDesk(BaseModel):
    """Whom a customer calls about their account (NOTIFIER_CONTACT_DESK, e.g. "0120-000-000
    平日9〜17時"); "" when the insurer has set none. The security mails name the same desk."""

    desk: str


CONTACT_DESK = Wired[ContactDesk]("contact_desk")

ERRORS = ErrorTable({})
"""The notifier's own refusals (none yet: a malformed body is the shared 422)."""


class ChannelChoice(RequestBody):
    """One kind of notice: by mail, by push (true or false, nothing else)."""

    mail: StrictBool
    push: StrictBool


class KindChoices(RequestBody):
    """Every kind, each given: a setting left out is refused rather than guessed."""

    status_changed: ChannelChoice
    action_requested: ChannelChoice
    message_received: ChannelChoice


class NotificationSettingsBody(RequestBody):
    """`{kinds: {status_changed|action_requested|message_received: {mail, push}}}`. Security
    notices (password changed, lock-out, new sign-in) are always sent and are not settings."""

    kinds: KindChoices


customer_router = APIRouter(
    prefix="/api/v1", tags=["notifications"], dependencies=[Depends(outside_maintenance)]
)


@customer_router.get("/contact-desk", response_model=ContactDesk)
async def contact_desk(
    desk: Annotated[ContactDesk, Depends(CONTACT_DESK)],
) -> ContactDesk:
    """Public: the log-in page's lock-out words name this desk, so the number an insurer sets
    once for the mails is the one the page shows (no copy of it in the web front)."""
    return desk


def _body(chosen: dict[NoticeKind, Channels]) -> NotificationSettingsBody:
    def choice(kind: NoticeKind) -> ChannelChoice:
        return ChannelChoice(mail=chosen[kind].mail, push=chosen[kind].push)

    return NotificationSettingsBody(
        kinds=KindChoices(
            status_changed=choice("status_changed"),
            action_requested=choice("action_requested"),
            message_received=choice("message_received"),
        )
    )


@customer_router.get(
    "/me/notification-settings",
    response_model=NotificationSettingsBody,
    responses=ERRORS.responses_for(*NOT_SIGNED_IN),
)
async def notification_settings(
    customer_id: CustomerId, preferences: Preferences
) -> NotificationSettingsBody:
    """The customer's settings; a kind never chosen shows the defaults (mail on, push off)."""
    return _body(await preferences.all_channels(customer_id))


@customer_router.put(
    "/me/notification-settings",
    response_model=NotificationSettingsBody,
    responses=ERRORS.responses_for(*NOT_SIGNED_IN),
)
async def choose_notification_settings(
    body: NotificationSettingsBody, customer_id: CustomerId, preferences: Preferences
) -> NotificationSettingsBody:
    """Replaces the customer's settings with the body's and answers them as stored."""
    kinds = body.kinds
    chosen: dict[NoticeKind, Channels] = {
        "status_changed": Channels(kinds.status_changed.mail, kinds.status_changed.push),
        "action_requested": Channels(kinds.action_requested.mail, kinds.action_requested.push),
        "message_received": Channels(kinds.message_received.mail, kinds.message_received.push),
    }
    await preferences.choose(customer_id, chosen)
    return _body(await preferences.all_channels(customer_id))
