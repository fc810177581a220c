"""The push that goes with a coalesced notice (notifier.notices): when the sweeper sends a
claim's notice, each of the customer's subscriptions gets one push, if the customer turned push
on for that kind of notice (notifier.preferences). The push says only what kind of news is
waiting, never a claim detail or the handler's words, and links to the accident (its thread for
a message), to be read after logging in.

A push is sent once, after the notice's transaction: a push service that fails is logged and
not retried (the mail and the page carry the news); one that answers 404 or 410, or an endpoint
no longer allowed, loses its subscription."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from claims_shared.logging import get_logger
from notifier.preferences import NoticeKind, NotificationPreferences
from notifier.push_endpoints import EndpointRefused
from notifier.push_sending import PushFailed, PushMessage, SubscriptionGone, WebPushSender
from notifier.push_subscriptions import PushSubscriptions

log = get_logger(__name__)

TITLE = {"ja": "お客さまWebサービス", "en": "Customer web service"}

# Each kind of notice (status_notices.kind): the setting that decides its push, its words and
# its page. A request for action scheduled as its own notice kind is pushed in its own words.
NOTICE_PUSHES: dict[str, tuple[NoticeKind, dict[str, str], bool]] = {
    "claim_status_changed": (
        "status_changed",
        {
            "ja": "事故の対応状況が更新されました",
            "en": "The handling status of your accident was updated",
        },
        False,
    ),
    "action_requested": (
        "action_requested",
        {"ja": "ご対応のお願いがあります", "en": "We have a request for you"},
        False,
    ),
    "new_message": (
        "message_received",
        {"ja": "新着メッセージがあります", "en": "You have a new message"},
        True,
    ),
}


def accident_path(claim_id: str, to_thread: bool = False) -> str:
    """The installed app's page of one accident (web/js/app.js: /accidents/<id>, its message
    board in `#messages`), relative to the app that opens it: a push opens the app, never a
    browser's log-in form, so pushes keep the link mails no longer carry. Claim ids come from
    adjusters' systems, so every character but letters, digits and -_.~ is quoted."""
    path = f"/accidents/{quote(claim_id, safe='')}"
    return f"{path}#messages" if to_thread else path


def push_message(notice_kind: str, claim_id: str, language: str) -> PushMessage | None:
    pushed = NOTICE_PUSHES.get(notice_kind)
    if pushed is None:
        return None
    _, words, to_thread = pushed
    language = "en" if language == "en" else "ja"
    return PushMessage(TITLE[language], words[language], accident_path(claim_id, to_thread))


@dataclass
class NoticePushes:
    subscriptions: PushSubscriptions
    preferences: NotificationPreferences
    sender: WebPushSender

    async def push_notice(
        self, customer_id: str, claim_id: str, notice_kind: str, language: str
    ) -> int:
        """Pushes the notice to the customer's subscriptions; how many push services took it."""
        message = push_message(notice_kind, claim_id, language)
        if message is None:
            return 0
        setting = NOTICE_PUSHES[notice_kind][0]
        if not (await self.preferences.channels(customer_id, setting)).push:
            return 0
        delivered = 0
        for subscription in await self.subscriptions.of_customer(customer_id):
            try:
                await self.sender.send(subscription.target, message)
            except (SubscriptionGone, EndpointRefused) as error:
                log.info(
                    "push subscription removed",
                    subscription_id=str(subscription.subscription_id),
                    reason=str(error),
                )
                await self.subscriptions.forget(subscription.subscription_id)
            except PushFailed as error:
                log.warning(
                    "push not delivered",
                    subscription_id=str(subscription.subscription_id),
                    reason=str(error),
                )
            else:
                delivered += 1
        return delivered
