"""What a customer sees at 360 px when the network or the service fails, on every screen: the
failure in their language with a button to try again, a loading state while a page is fetched,
and never a blank page or the previous page under a new address. The API is made to fail in the
browser (Playwright's page.route): the connection dropped, the gateway's 503, a proxy's HTML
error page, a captive portal's HTML page answered 200."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Route, expect
from web_harness import Product, artifacts_dir

expect.set_options(timeout=15_000)

PASSWORD = "a good passphrase"
FAILURES = ["network", "busy", "proxy-html", "portal-html"]


def failing(kind: str) -> Callable[[Route], None]:
    """A route handler that fails the request the way `kind` names."""

    def fail(route: Route) -> None:
        if kind == "network":
            route.abort("internetdisconnected")
        elif kind == "busy":
            route.fulfill(
                status=503,
                content_type="application/json",
                headers={"Retry-After": "30"},
                body=json.dumps(
                    {"code": "service_unavailable", "message": "ただいま処理できません。"}
                ),
            )
        elif kind == "proxy-html":
            route.fulfill(
                status=502,
                content_type="text/html",
                body="<html><body><h1>502 Bad Gateway</h1><hr>proxy</body></html>",
            )
        else:
            route.fulfill(
                status=200, content_type="text/html", body="<html><body>Wi-Fi login</body></html>"
            )

    return fail


def path_is(path: str) -> Callable[[str], bool]:
    """A route's URL matcher (keep it: unroute finds the route by this very object)."""
    return lambda url: urlparse(url).path == path


def snap(page: Page, name: str) -> None:
    page.screenshot(path=artifacts_dir() / f"{name}-360.png", full_page=True)


TOLD = {
    "network": "通信できませんでした。通信環境をご確認のうえ、もう一度お試しください。",
    "busy": "ただいま混み合っているか、一時的にご利用いただけません。",
    "proxy-html": "ただいま混み合っているか、一時的にご利用いただけません。",
    "portal-html": "ただいま混み合っているか、一時的にご利用いただけません。",
}


def log_in(page: Page, product: Product, email: str) -> None:
    page.goto(product.url + "/")
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def logged_in_with_an_accident(page: Page, product: Product) -> str:
    customer = product.customer(PASSWORD)
    claim = product.accident_for(customer.customer_id, customer.policy_numbers[0])
    log_in(page, product, customer.email)
    expect(page.get_by_role("link", name=re.compile("交差点での追突事故"))).to_be_visible()
    return claim.claim_id


@pytest.mark.parametrize("kind", FAILURES)
def test_log_in_tells_a_failure_and_retries(product: Product, phone: Page, kind: str) -> None:
    customer = product.customer(PASSWORD)
    sessions = path_is("/api/v1/sessions")
    phone.route(sessions, failing(kind))
    log_in(phone, product, customer.email)

    alert = phone.locator("#log-in").get_by_role("alert")
    expect(alert).to_contain_text(TOLD[kind])
    expect(phone.get_by_label("パスワード", exact=True)).to_have_value(PASSWORD)
    snap(phone, f"failure-log-in-{kind}")

    phone.unroute(sessions)
    alert.get_by_role("button", name="もう一度試す").click()
    expect(phone.get_by_role("heading", name="事故一覧")).to_be_visible()


@pytest.mark.parametrize("kind", FAILURES)
def test_reloading_the_list_during_a_failure_shows_it_not_a_blank_page(
    product: Product, phone: Page, kind: str
) -> None:
    logged_in_with_an_accident(phone, product)
    accidents = path_is("/api/v1/me/accidents")
    phone.route(accidents, failing(kind))
    phone.reload()

    expect(phone.get_by_role("heading", name="ページを表示できませんでした")).to_be_visible()
    expect(phone.locator("#failure")).to_contain_text(TOLD[kind])
    assert urlparse(phone.url).path == "/accidents"
    snap(phone, f"failure-list-{kind}")

    phone.unroute(accidents)
    phone.get_by_role("button", name="もう一度試す").click()
    expect(phone.get_by_role("heading", name="事故一覧")).to_be_visible()
    expect(phone.get_by_role("link", name=re.compile("交差点での追突事故"))).to_be_visible()


@pytest.mark.parametrize("kind", FAILURES)
def test_a_failure_opening_a_detail_never_leaves_the_list_under_its_address(
    product: Product, phone: Page, kind: str
) -> None:
    claim_id = logged_in_with_an_accident(phone, product)
    detail = path_is(f"/api/v1/me/accidents/{claim_id}")
    phone.route(detail, failing(kind))
    phone.get_by_role("link", name=re.compile("交差点での追突事故")).click()

    expect(phone.get_by_role("heading", name="ページを表示できませんでした")).to_be_visible()
    expect(phone.locator("#failure")).to_contain_text(TOLD[kind])
    expect(phone.locator("#accidents")).to_have_count(0)
    assert urlparse(phone.url).path == f"/accidents/{claim_id}"
    snap(phone, f"failure-detail-{kind}")

    phone.unroute(detail)
    phone.get_by_role("button", name="もう一度試す").click()
    expect(phone.get_by_role("heading", name="事故の対応状況")).to_be_visible()


def test_opening_a_detail_shows_a_loading_state(product: Product, phone: Page) -> None:
    claim_id = logged_in_with_an_accident(phone, product)
    held: list[Route] = []
    detail = path_is(f"/api/v1/me/accidents/{claim_id}")
    phone.route(detail, lambda route: held.append(route))
    phone.get_by_role("link", name=re.compile("交差点での追突事故")).click()

    expect(phone.locator("#loading")).to_have_text("読み込み中…")
    expect(phone.locator("main")).to_have_attribute("aria-busy", "true")
    expect(phone.locator("#accidents")).to_have_count(0)
    snap(phone, "loading-detail")

    assert held, "the detail was asked for"
    held[0].continue_()
    expect(phone.get_by_role("heading", name="事故の対応状況")).to_be_visible()
    expect(phone.locator("#loading")).to_have_count(0)


def test_in_english_failures_are_told_in_english(product: Product, phone: Page) -> None:
    claim_id = logged_in_with_an_accident(phone, product)
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Your accidents")).to_be_visible()

    detail = path_is(f"/api/v1/me/accidents/{claim_id}")
    phone.route(detail, failing("busy"))
    with phone.expect_request(lambda request: detail(request.url)) as asked:
        phone.get_by_role("link", name=re.compile("交差点での追突事故")).click()
    assert asked.value.headers["accept-language"] == "en", "the gateway answers in English too"
    expect(phone.get_by_role("heading", name="This page could not be shown")).to_be_visible()
    expect(phone.locator("#failure")).to_contain_text("The service is busy or briefly unavailable")
    snap(phone, "failure-detail-busy-english")

    phone.unroute(detail)
    phone.route(detail, failing("network"))
    phone.get_by_role("button", name="Try again").click()
    expect(phone.locator("#failure")).to_contain_text("We could not connect")


def test_a_registration_form_tells_a_failure_and_retries(product: Product, phone: Page) -> None:
    policy = product.record_policy(code="483921")
    procedure_code = path_is("/api/v1/registrations/procedure-code")
    phone.route(procedure_code, failing("proxy-html"))
    phone.goto(product.url + "/register/simple")
    phone.get_by_label("初回ユーザーID（証券番号）").fill(policy.policy_number)
    phone.get_by_label("初回パスワード（手続コード）").fill("483921")
    phone.get_by_role("button", name="次へ").click()

    alert = phone.locator("#procedure-code").get_by_role("alert")
    expect(alert).to_contain_text(TOLD["proxy-html"])
    snap(phone, "failure-registration-proxy-html")

    phone.unroute(procedure_code)
    alert.get_by_role("button", name="もう一度試す").click()
    expect(phone.get_by_role("heading", name="簡単登録（2/2）")).to_be_visible()


def in_maintenance(route: Route) -> None:
    """What the services answer inside the weekly window (the window starting mid-visit)."""
    route.fulfill(
        status=503,
        content_type="application/json",
        headers={"Retry-After": "3600"},
        body=json.dumps({"code": "maintenance", "message": "メンテナンス中です。"}),
    )


def test_the_maintenance_window_starting_mid_visit_is_told_on_every_screen(
    product: Product, phone: Page
) -> None:
    claim_id = logged_in_with_an_accident(phone, product)
    detail = path_is(f"/api/v1/me/accidents/{claim_id}")
    phone.route(detail, in_maintenance)
    phone.get_by_role("link", name=re.compile("交差点での追突事故")).click()
    expect(phone.get_by_role("heading", name="ただいまメンテナンス中です")).to_be_visible()
    expect(phone.locator("#maintenance")).to_contain_text("再開予定")
    assert urlparse(phone.url).path == f"/accidents/{claim_id}"
    snap(phone, "maintenance-detail")

    phone.get_by_role("button", name="ログアウト").click()
    sessions = path_is("/api/v1/sessions")
    phone.route(sessions, in_maintenance)
    phone.get_by_label("ユーザーID（メールアドレス）").fill("someone@example.jp")
    phone.get_by_label("パスワード", exact=True).fill(PASSWORD)
    phone.get_by_role("button", name="ログイン").click()
    alert = phone.locator("#log-in").get_by_role("alert")
    expect(alert).to_contain_text("システムメンテナンスのため")
    expect(alert.get_by_role("button", name="もう一度試す")).to_be_visible()
