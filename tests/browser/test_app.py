"""The installable app at 360 px, against the whole product: its service worker installed, the
home with the guide's menus and a bottom navigation, sign-in with 「ログインしたままにする」 (the
refresh token in the app, not a cookie), the last-known list and detail shown offline with the
time they were seen, forgotten at log-out, and never shown to another account."""

from __future__ import annotations

import re
from typing import Any

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from web_harness import PHONE, Product, artifacts_dir

from devinfra.paths import repo_root

AXE = Axe()
PASSWORD = "an app passphrase"
OFFLINE_NOTE = re.compile(r"^\d{1,2}月\d{1,2}日 \d{1,2}時\d{1,2}分時点の情報（オフライン）$")
expect.set_options(timeout=15_000)


def accessible(page: Page) -> None:
    """axe-core finds nothing serious or critical on the page as it stands."""
    results = AXE.run(page)
    serious = [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes)"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, serious


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=artifacts_dir() / f"app-{name}.png", full_page=True)


def worker_ready(page: Page) -> str:
    """The service worker controlling the page once it is installed: its script address."""
    return str(
        page.evaluate(
            "navigator.serviceWorker.ready.then(async (registration) => {"
            "  if (!navigator.serviceWorker.controller) await new Promise((done) =>"
            "    navigator.serviceWorker.addEventListener('controllerchange', done, {once: true}));"
            "  return registration.active.scriptURL; })"
        )
    )


def kept_addresses(page: Page) -> list[str]:
    """What the service worker keeps of the customers' accidents, by address."""
    return list(
        page.evaluate(
            "caches.has('offline-v1').then((has) => has ? caches.open('offline-v1')"
            ".then((cache) => cache.keys()).then((keys) => keys.map((key) => key.url)) : [])"
        )
    )


def app_log_in(page: Page, product: Product, email: str, *, keep: bool, menu: bool = True) -> None:
    """From the app's home: its menu to the accidents (log-in first), or straight to log-in."""
    page.goto(product.url + "/app/")
    worker_ready(page)
    if menu:
        page.get_by_role("link", name="自動車事故の対応状況を確認する").click()
    else:
        page.goto(product.url + "/login")
    expect(page.get_by_role("heading", name="ログイン", exact=True)).to_be_visible()
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    if keep:
        page.get_by_label("ログインしたままにする").check()
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()


def test_every_file_the_service_worker_precaches_exists() -> None:
    """One missing file and the worker never installs (Cache.addAll is all or nothing)."""
    web = repo_root() / "web"
    source = (web / "sw.js").read_text(encoding="utf-8")
    listed = re.search(r"const SHELL_FILES = \[(.*?)\];", source, re.S)
    assert listed is not None
    paths = re.findall(r'"(/[^"]+)"', listed.group(1))
    assert "/index.html" in paths and "/js/app.js" in paths
    missing = [path for path in paths if not (web / path.lstrip("/")).is_file()]
    assert not missing, missing
    assert re.search(r'const VERSION = "[^"]+";', source), "a version to bump with each release"


def test_the_app_installs_its_service_worker_and_its_home_follows_the_guide(
    product: Product, phone: Page
) -> None:
    phone.goto(product.url + "/app/")
    assert worker_ready(phone).endswith("/sw.js")
    manifest_href = phone.locator("link[rel=manifest]").get_attribute("href")
    manifest: dict[str, Any] = httpx.get(product.url + str(manifest_href)).json()
    assert manifest["start_url"] == "/app/" and manifest["display"] == "standalone"
    assert manifest["lang"] == "ja" and manifest["short_name"]
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        fetched = httpx.get(product.url + icon["src"])
        assert fetched.status_code == 200 and fetched.content.startswith(b"\x89PNG")

    expect(phone.get_by_role("heading", name="お客さま事故サポート", level=1)).to_be_visible()
    expect(phone.get_by_role("heading", name="事故サポート", exact=True)).to_be_visible()
    expect(phone.get_by_role("link", name="自動車事故の対応状況を確認する")).to_be_visible()
    expect(phone.get_by_role("heading", name="契約確認・変更")).to_be_visible()
    bottom = phone.get_by_role("navigation", name="アプリのメニュー")
    expect(bottom.get_by_role("link", name="ホーム")).to_have_attribute("aria-current", "page")
    box = bottom.bounding_box()
    assert box is not None and box["y"] + box["height"] == PHONE["height"], box  # thumb's reach
    for target in bottom.get_by_role("link").all():
        size = target.bounding_box()
        assert size is not None and size["height"] >= 48 and size["width"] >= 96, size
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    accessible(phone)
    screenshot(phone, "home")

    phone.get_by_role("link", name="今すぐ登録する").click()
    expect(phone.get_by_role("heading", name="今すぐ登録する", level=1)).to_be_visible()
    expect(
        phone.get_by_role("heading", name="手続コード／初回パスワードをお持ちの方")
    ).to_be_visible()
    expect(
        phone.get_by_role("heading", name="手続コード／初回パスワードをお持ちでない方")
    ).to_be_visible()
    expect(bottom.get_by_role("link", name="契約・登録")).to_have_attribute("aria-current", "page")
    accessible(phone)
    screenshot(phone, "register")
    phone.get_by_role("link", name="簡単登録へ進む").click()
    expect(phone.get_by_role("heading", name=re.compile(r"簡単登録（1\/2）"))).to_be_visible()
    phone.go_back()
    phone.get_by_role("link", name="新規登録へ進む").click()
    expect(phone.get_by_role("heading", name="新規登録：ご契約内容の入力")).to_be_visible()

    bottom.get_by_role("link", name="ホーム").click()
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Accident support", exact=True)).to_be_visible()
    expect(
        phone.get_by_role("link", name="Check the handling status of your car accident")
    ).to_be_visible()
    expect(phone.get_by_role("navigation", name="App menu")).to_be_visible()
    accessible(phone)
    phone.get_by_role("link", name="Register now").click()
    expect(
        phone.get_by_role("heading", name="I have a procedure code / initial password")
    ).to_be_visible()


def test_offline_shows_the_last_known_list_and_detail_until_log_out(
    product: Product, phone: Page
) -> None:
    customer = product.customer(PASSWORD)
    product.accident_for(customer.customer_id, customer.policy_numbers[0])
    app_log_in(phone, product, customer.email, keep=True)
    accident = phone.get_by_role("link", name=re.compile("交差点での追突事故"))
    expect(accident).to_contain_text("担当者決定")
    assert not [c for c in phone.context.cookies() if c["name"] == "claims_session"], (
        "the app holds its refresh token itself, not in a cookie"
    )
    assert phone.evaluate("localStorage.getItem('app-session')"), "kept: ログインしたままにする"
    accident.click()
    expect(phone.get_by_role("heading", name="事故の対応状況")).to_be_visible()
    expect(phone.locator("#timeline")).to_contain_text("事故のご連絡を受け付けました")
    expect(phone.locator("#offline")).to_have_count(0)  # online: no note
    phone.get_by_role("link", name="事故一覧へ戻る").click()
    expect(accident).to_be_visible()

    phone.context.set_offline(True)
    phone.reload()
    expect(phone.get_by_role("heading", name="事故一覧")).to_be_visible()
    expect(phone.locator("#offline")).to_have_text(OFFLINE_NOTE)
    expect(accident).to_contain_text("担当者決定")
    accessible(phone)
    screenshot(phone, "offline-list")
    accident.click()
    expect(phone.get_by_role("heading", name="事故の対応状況")).to_be_visible()
    expect(phone.locator("#offline")).to_have_text(OFFLINE_NOTE)
    expect(phone.locator("#handler")).to_contain_text("03-1234-5678")
    expect(phone.locator("#timeline")).to_contain_text("事故のご連絡を受け付けました")
    accessible(phone)
    screenshot(phone, "offline-detail")

    phone.context.set_offline(False)
    refresh_token = phone.evaluate("localStorage.getItem('app-session')")
    phone.get_by_role("button", name="ログアウト").click()
    expect(phone.get_by_role("status")).to_contain_text("ログアウトしました")
    assert phone.evaluate("localStorage.getItem('app-session')") is None
    assert kept_addresses(phone) == []
    revoked = httpx.post(
        product.url + "/api/v1/sessions/refresh", json={"refresh_token": refresh_token}
    )
    assert revoked.status_code == 401, revoked.text  # log-out revoked it on the server

    phone.context.set_offline(True)
    phone.goto(product.url + "/accidents")
    expect(phone.get_by_role("heading", name="ログイン")).to_be_visible()
    expect(phone.get_by_text("交差点での追突事故")).to_have_count(0)
    expect(phone.locator("#offline")).to_have_count(0)
    screenshot(phone, "offline-after-log-out")
    phone.context.set_offline(False)


def test_another_account_never_sees_the_first_accounts_last_known_list(
    product: Product, browser: Browser
) -> None:
    first = product.customer(PASSWORD)
    product.accident_for(first.customer_id, first.policy_numbers[0])
    second = product.customer(PASSWORD)
    context = browser.new_context(viewport=PHONE, locale="ja-JP")
    context.set_default_timeout(20_000)
    try:
        one = context.new_page()
        app_log_in(one, product, first.email, keep=False)
        expect(one.get_by_role("link", name=re.compile("交差点での追突事故"))).to_be_visible()
        assert any(first.customer_id in address for address in kept_addresses(one))

        # The same device, another account, without the first logging out (its tab still open).
        other = context.new_page()
        app_log_in(other, product, second.email, keep=True, menu=False)
        expect(other.locator("#no-accidents")).to_be_visible()
        kept = kept_addresses(other)
        assert not any(first.customer_id in address for address in kept), kept
        assert any(second.customer_id in address for address in kept), kept

        context.set_offline(True)
        other.reload()
        expect(other.locator("#offline")).to_have_text(OFFLINE_NOTE)
        expect(other.locator("#no-accidents")).to_be_visible()
        expect(other.get_by_text("交差点での追突事故")).to_have_count(0)
        screenshot(other, "second-account-offline")
        # The first account's page, still open: nothing kept of it is given back any more.
        one.get_by_role("link", name="事故一覧", exact=True).first.click()
        expect(one.get_by_role("heading", name="ページを表示できませんでした")).to_be_visible()
        expect(one.get_by_text("交差点での追突事故")).to_have_count(0)
        screenshot(one, "first-account-offline")
    finally:
        context.set_offline(False)
        context.close()


def test_a_new_version_is_announced_and_taken_on_reload(product: Product, phone: Page) -> None:
    phone.goto(product.url + "/app/")
    worker_ready(phone)
    # A release: the browser finds a changed worker script for the scope and installs it beside
    # the running one (here a new address for it, as the gateway serves web/ as it is).
    phone.evaluate("navigator.serviceWorker.register('/sw.js?release=next', {scope: '/'})")
    banner = phone.get_by_role("status").filter(has_text="新しいバージョンがあります")
    expect(banner).to_be_visible()
    accessible(phone)
    screenshot(phone, "new-version")
    with phone.expect_event("load"):
        banner.get_by_role("button", name="再読み込み").click()
    expect(phone.get_by_role("heading", name="お客さま事故サポート", level=1)).to_be_visible()
    controller = phone.evaluate("navigator.serviceWorker.controller.scriptURL")
    assert controller.endswith("/sw.js?release=next"), controller
