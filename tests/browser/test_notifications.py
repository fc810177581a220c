"""Notifications in the browser, against the whole product: a push delivered to the service
worker through the DevTools protocol (as a push service would) shown as a notification whose
click opens the accident.

Playwright cannot see the operating system's notifications: the page reads them back with
`registration.getNotifications()`. No browser lets a script click one, and a script's own
NotificationEvent cannot waitUntil, so the click is sw-push.js's test hook
`self.claimsPush.open(notification)` (what its notificationclick listener runs), called in the
worker."""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import Page, expect
from web_harness import Product, artifacts_dir

expect.set_options(timeout=15_000)
PASSWORD = "a good passphrase"


def log_in(page: Page, product: Product, email: str) -> None:
    page.goto(product.url + "/")
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()


def registration_id(phone: Page, cdp: Any, scope: str) -> str:
    """The service worker's registration as the DevTools protocol names it."""
    found: dict[str, str] = {}

    def updated(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration.get("isDeleted"):
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 15
    while "id" not in found and time.monotonic() < deadline:
        phone.wait_for_timeout(100)
    assert "id" in found, "no service worker registration at the root"
    return found["id"]


NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  return shown.map((n) => ({ title: n.title, body: n.body, url: n.data?.url, tag: n.tag }));
}"""


def shown(phone: Page, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        notifications: list[dict[str, Any]] = phone.evaluate(NOTIFICATIONS)
        if len(notifications) == count:
            return notifications
        phone.wait_for_timeout(100)
    raise AssertionError(f"not {count} notifications: {phone.evaluate(NOTIFICATIONS)}")


def test_a_push_is_shown_and_its_click_opens_the_accident(product: Product, phone: Page) -> None:
    customer = product.customer(PASSWORD)
    claim = product.accident_for(customer.customer_id, customer.policy_numbers[0])
    phone.context.grant_permissions(["notifications"], origin=product.url)
    log_in(phone, product, customer.email)
    # The app registers its worker; a plain web page has none until push is turned on (push.js
    # registers the same /sw.js): registered here so either way the worker is there.
    phone.evaluate("""async () => {
      if (!(await navigator.serviceWorker.getRegistration('/'))) {
        await navigator.serviceWorker.register('/sw.js', { scope: '/' });
      }
      await navigator.serviceWorker.ready;
    }""")
    phone.reload()  # now controlled by the worker, as a customer's next visit is
    expect(phone.get_by_role("heading", name="事故一覧")).to_be_visible()
    phone.wait_for_function("navigator.serviceWorker.controller !== null")

    cdp = phone.context.new_cdp_session(phone)
    registration = registration_id(phone, cdp, product.url + "/")
    payload = {
        "title": "事故の対応状況が更新されました",
        "body": "お客さまWebサービスでご確認ください。",
        "url": f"/accidents/{claim.claim_id}",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": product.url, "registrationId": registration, "data": json.dumps(payload)},
    )
    (notification,) = shown(phone, 1)
    assert notification == {**payload, "tag": payload["url"]}

    # A push never takes the customer to another site, whatever its url says.
    (worker,) = phone.context.service_workers
    assert worker.evaluate("self.claimsPush.pathOf('https://elsewhere.example/x')") == "/accidents"
    assert worker.evaluate("self.claimsPush.pathOf('//elsewhere.example/x')") == "/accidents"

    phone.goto(product.url + "/password/change")  # somewhere else in the site
    expect(phone.get_by_role("heading", name="パスワードの変更", level=1)).to_be_visible()
    worker.evaluate("""async () => {
      const [notification] = await self.registration.getNotifications();
      await self.claimsPush.open(notification);
    }""")
    expect(phone).to_have_url(product.url + payload["url"])
    expect(phone.get_by_role("heading", name="事故の対応状況")).to_be_visible()
    expect(phone.get_by_text("交差点での追突事故").first).to_be_visible()
    assert shown(phone, 0) == []  # the click closed it
    phone.screenshot(path=artifacts_dir() / "push-opened-accident-360.png", full_page=True)
