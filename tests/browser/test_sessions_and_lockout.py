"""Sessions and the lock-out screen in the browser, against the whole product at 390 x 844: the
sessions page lists this browser (この端末) and the account's other devices in words, ends one
(its refresh token refused at once) and every other; the log-in form tells a throttle's short
wait (約◯秒) from a lock (until when in Japan time, and the desk's number). Screenshots of both
to /tmp/shots/sessions-*.png."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from web_harness import Product

from claims_shared.testing.user_agents import ANDROID_CHROME, IPHONE_SAFARI, WINDOWS_EDGE

expect.set_options(timeout=15_000)
PASSWORD = "a good passphrase"
SHOTS = Path("/tmp/shots")


@pytest.fixture
def android(browser: Browser) -> Iterator[Page]:
    """A phone's Chrome at 390 x 844, as the customer's own device."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="ja-JP", user_agent=ANDROID_CHROME
    )
    context.set_default_timeout(20_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page threw: {errors}"


def app_log_in(product: Product, email: str, user_agent: str) -> dict[str, str]:
    """Another device signing in, as the app does (the refresh token in the body)."""
    response = httpx.post(
        product.url + "/api/v1/sessions",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": user_agent},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, str] = response.json()
    return answer


def refreshes(product: Product, session: dict[str, str]) -> int:
    response = httpx.post(
        product.url + "/api/v1/sessions/refresh", json={"refresh_token": session["refresh_token"]}
    )
    return response.status_code


def fill_log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_role("button", name="ログイン", exact=True).click()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_sessions_page_ends_one_device_then_every_other(
    product: Product, android: Page
) -> None:
    customer = product.customer()
    android.goto(product.url + "/")
    fill_log_in(android, customer.email, PASSWORD)
    expect(android.get_by_role("heading", name="事故一覧")).to_be_visible()
    iphone = app_log_in(product, customer.email, IPHONE_SAFARI)

    android.get_by_role("link", name="ログイン中の端末").click()
    expect(android.get_by_role("heading", name="ログイン中の端末")).to_be_visible()
    cards = android.locator("ul.sessions li")
    expect(cards).to_have_count(2)
    this_one = cards.filter(has_text="この端末")
    expect(this_one).to_contain_text("Android の Chrome")
    expect(this_one).to_contain_text("ログイン日時")
    other = cards.filter(has_text="iPhone の Safari")
    expect(other).to_contain_text("最終利用")
    no_sideways_scroll(android)
    android.screenshot(path=SHOTS / "sessions-page.png", full_page=True)

    other.get_by_role("button", name="このセッションをログアウト").click()
    expect(android.get_by_role("status")).to_contain_text("iPhone の Safariをログアウトしました。")
    expect(cards).to_have_count(1)
    assert refreshes(product, iphone) == 401, "the iPhone's session cannot refresh any more"

    edge = app_log_in(product, customer.email, WINDOWS_EDGE)
    phone_again = app_log_in(product, customer.email, IPHONE_SAFARI)
    android.reload()
    expect(cards).to_have_count(3)
    android.get_by_role("button", name="ほかのすべての端末からログアウト").click()
    expect(android.get_by_role("status")).to_contain_text(
        "ほかのすべての端末をログアウトしました。"
    )
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("この端末")
    expect(android.get_by_role("button", name="ほかのすべての端末からログアウト")).to_be_hidden()
    assert refreshes(product, edge) == refreshes(product, phone_again) == 401
    new_device_mails_name_the_devices(product, customer.email)
    android.screenshot(path=SHOTS / "sessions-others-ended.png", full_page=True)

    android.get_by_role("button", name="Switch to English").click()
    expect(android.get_by_role("heading", name="Signed-in devices")).to_be_visible()
    expect(cards.first).to_contain_text("Chrome on Android")
    cards.first.get_by_role("button", name="Log out this session").click()
    expect(android.get_by_role("heading", name=re.compile("Log in|ログイン"))).to_be_visible()


def new_device_mails_name_the_devices(product: Product, email: str) -> None:
    """Through identity, Kafka and the notifier to the mail catcher: the browser's first log-in
    (the account's first ever) is not told; each app log-in without a device id is (the iPhone
    twice: it sent no id the second time, as a fresh install would not)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mails = [m for m in product.mails_to(email) if "新しい端末" in m["subject"]]
        if len(mails) >= 3:
            break
        time.sleep(0.5)
    texts = [m["text"] for m in mails]
    devices = sorted(line for text in texts for line in text.splitlines() if "端末：" in line)
    assert devices == ["端末：Windows の Edge", "端末：iPhone の Safari", "端末：iPhone の Safari"]
    assert not any("Android" in text or "http" in text for text in texts)


def fail(product: Product, email: str, times: int) -> None:
    """Wrong passwords through the API; a throttle's wait is waited out on the product's clock."""
    failed = 0
    while failed < times:
        response = httpx.post(
            product.url + "/api/v1/sessions", json={"email": email, "password": "wrong one"}
        )
        if response.status_code == 429:
            product.clock.advance(seconds=int(response.headers["Retry-After"]))
            continue
        assert response.status_code == 401, response.text
        failed += 1


def test_the_log_in_form_tells_a_short_wait_from_a_lock(product: Product, android: Page) -> None:
    """The product throttles after 20 failures and locks after 40 (web_harness)."""
    customer = product.customer()
    fail(product, customer.email, 20)
    android.goto(product.url + "/")
    fill_log_in(android, customer.email, PASSWORD)
    wait = android.locator("#wait-a-moment")
    expect(wait).to_have_text(
        "ログインの失敗が続いています。約2秒お待ちいただいてから、もう一度お試しください。"
    )
    expect(android.get_by_role("button", name="もう一度試す")).to_be_visible()
    expect(android.locator("#locked-until")).to_have_count(0)
    android.screenshot(path=SHOTS / "sessions-throttled.png", full_page=True)

    fail(product, customer.email, 20)
    product.clock.advance(seconds=1)
    android.get_by_role("button", name="ログイン", exact=True).click()
    locked = android.locator("#locked-until")
    expect(locked).to_contain_text("このアカウントへのログインを")
    expect(locked).to_contain_text("（日本時間）まで停止しています")
    assert re.search(r"\d+月\d+日 \d\d:\d\d（日本時間）", locked.inner_text())
    # the notifier's NOTIFIER_CONTACT_DESK (the harness's 0120-000-000), as the mails name it
    expect(android.locator("#contact-desk")).to_have_text(
        "お心当たりのない場合や、お急ぎの場合は、"
        "お客さまWebサービス窓口 0120-000-000 へお電話ください。"
    )
    expect(android.locator("#wait-a-moment")).to_have_count(0)
    expect(android.get_by_role("button", name="もう一度試す")).to_have_count(0)
    no_sideways_scroll(android)
    android.screenshot(path=SHOTS / "sessions-locked.png", full_page=True)


def test_the_app_keeps_its_device_id_so_its_next_log_in_is_not_new(
    product: Product, android: Page
) -> None:
    """The app sends its device id in the body and keeps the one identity gives, through a
    log-out: its second log-in is a known device (no mail), where a device without one is new."""
    customer = product.customer()
    for _ in range(2):
        android.goto(product.url + "/app/")
        android.goto(product.url + "/login")
        fill_log_in(android, customer.email, PASSWORD)
        expect(android.get_by_role("heading", name="事故一覧")).to_be_visible()
        device = android.evaluate("localStorage.getItem('app-device')")
        assert device and len(device) == 43
        android.locator("#log-out").click()
        expect(android).to_have_url(re.compile(r"/app/$"))  # the app's home, signed out
        assert android.evaluate("localStorage.getItem('app-device')") == device
    app_log_in(product, customer.email, WINDOWS_EDGE)

    deadline = time.monotonic() + 60
    mails: list[dict[str, str]] = []
    while time.monotonic() < deadline and not mails:
        mails = [m for m in product.mails_to(customer.email) if "新しい端末" in m["subject"]]
        time.sleep(0.5)
    assert len(mails) == 1 and "端末：Windows の Edge" in mails[0]["text"]


def sign_out_everywhere_else(product: Product, email: str) -> None:
    """Device A (the app) ends every other session: the browser's among them."""
    device_a = app_log_in(product, email, WINDOWS_EDGE)
    ended = httpx.delete(
        product.url + "/api/v1/me/sessions",
        headers={"Authorization": f"Bearer {device_a['access_token']}"},
    )
    assert ended.status_code == 204, ended.text


def test_a_browser_signed_out_from_another_device_cannot_change_the_password(
    product: Product, android: Page
) -> None:
    """Its access token is still valid for minutes, but identity refuses it session_ended, and
    the page treats that as the session lost: the log-in link, and the password unchanged."""
    customer = product.customer()
    android.goto(product.url + "/")
    fill_log_in(android, customer.email, PASSWORD)
    expect(android.get_by_role("heading", name="事故一覧")).to_be_visible()
    android.get_by_role("link", name="パスワード変更").click()
    expect(android.get_by_role("heading", name="パスワードの変更")).to_be_visible()
    sign_out_everywhere_else(product, customer.email)

    android.get_by_label("現在のパスワード").fill(PASSWORD)
    android.get_by_label("新しいパスワード", exact=True).fill("山田家の 新しい 合言葉 2026")
    android.get_by_label("新しいパスワード（確認のためもう一度）").fill(
        "山田家の 新しい 合言葉 2026"
    )
    android.get_by_role("button", name="変更する").click()

    expect(android.get_by_role("alert")).to_contain_text("もう一度ログインしてください。")
    expect(android.get_by_role("link", name="ログイン画面へ")).to_be_visible()
    android.screenshot(path=SHOTS / "sessioncheck-password-refused.png", full_page=True)
    android.get_by_role("link", name="ログイン中の端末").click()
    expect(android.get_by_role("heading", name=re.compile("ログイン"))).to_be_visible()
    assert app_log_in(product, customer.email, IPHONE_SAFARI)["access_token"], "unchanged"
