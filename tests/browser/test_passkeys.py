"""Passkeys in Chromium against the whole product, with the DevTools protocol's virtual
authenticator (a platform authenticator: ctap2, internal, resident keys, user verification)
standing in for a phone's fingerprint: a customer adds a passkey on the settings page and logs
in with 「パスキーでログイン」 instead of the password, and the notifier mails the notice; the same
passkey used on a page of another origin is refused; a cloned credential (the authenticator's
copy put back with a lower sign count) is refused; a log-in older than ten minutes is asked to
log in again before adding one. Pages are opened on http://localhost:<port> (an IP address cannot
be a relying-party id)."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import CDPSession, Page, expect
from web_harness import Product

from devinfra.gateway import LocalGateway
from devinfra.paths import local_dir, repo_root

expect.set_options(timeout=15_000)
PASSWORD = "a good passphrase"
SHOTS = Path("/tmp/shots")


def authenticator(page: Page) -> tuple[CDPSession, str]:
    """A phone's platform authenticator that always verifies its owner."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def local(product: Product) -> str:
    return product.url.replace("127.0.0.1", "localhost")


def log_in_with_password(page: Page, origin: str, email: str) -> None:
    page.goto(origin + "/login")
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()


def add_passkey(page: Page, origin: str, name: str) -> None:
    page.goto(origin + "/settings/passkeys")
    expect(page.get_by_role("heading", name="パスキー", exact=True)).to_be_visible()
    expect(page.get_by_text("登録済みのパスキーはありません。")).to_be_visible()
    page.get_by_label("パスキーの名前（任意）").fill(name)
    page.get_by_role("button", name="この端末でパスキーを追加する").click()
    expect(page.get_by_role("status")).to_have_text("パスキーを追加しました。")
    expect(page.locator("#passkey-list")).to_contain_text(name)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("heading", name="ログイン", exact=True)).to_be_visible()


def signed_in_with_a_passkey(
    product: Product, page: Page, name: str
) -> tuple[str, CDPSession, str]:
    """A new customer logged in with their password on a phone that then added a passkey; the
    customer's email and the phone's authenticator."""
    cdp, authenticator_id = authenticator(page)
    customer = product.customer()
    log_in_with_password(page, local(product), customer.email)
    add_passkey(page, local(product), name)
    return customer.email, cdp, authenticator_id


def log_in_with_passkey(page: Page, origin: str) -> None:
    page.goto(origin + "/login")
    page.get_by_role("button", name="パスキーでログイン").click()


def test_a_customer_adds_a_passkey_and_logs_in_with_it_instead_of_the_password(
    product: Product, phone_390: Page
) -> None:
    page, origin = phone_390, local(product)
    email, _, _ = signed_in_with_a_passkey(product, page, "私のPixel")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "passkeys-settings-ja.png", full_page=True)
    log_out(page)
    page.screenshot(path=SHOTS / "passkeys-log-in-ja.png", full_page=True)
    log_in_with_passkey(page, origin)

    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()
    page.goto(origin + "/settings/passkeys")
    expect(page.locator("#passkey-list")).not_to_contain_text("まだ使われていません")
    # the SMTP server accepted the notice (its words: the notifier's tests)
    product.wait_for(
        "notifier",
        "SELECT 1 FROM sent_mails WHERE kind = 'passkey_added' AND recipient = %s",
        email,
        timeout=60,
    )


def test_the_passkeys_page_in_english_removes_one(product: Product, phone_390: Page) -> None:
    page = phone_390
    signed_in_with_a_passkey(product, page, "Work laptop")
    page.get_by_role("button", name="English").click()

    expect(page.get_by_role("heading", name="Passkeys", exact=True)).to_be_visible()
    page.screenshot(path=SHOTS / "passkeys-settings-en.png", full_page=True)
    page.get_by_role("button", name="Remove “Work laptop”").click()

    expect(page.get_by_role("status")).to_have_text("The passkey has been removed.")
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()


def test_a_passkey_used_on_a_page_of_another_origin_is_refused(
    product: Product, phone_390: Page
) -> None:
    page = phone_390
    signed_in_with_a_passkey(product, page, "私のPixel")
    log_out(page)

    with another_gateway(product) as foreign:  # same relying-party id, an origin not allowed
        log_in_with_passkey(page, foreign)

        expect(page.locator("#passkey-log-in-error")).to_have_text(
            "パスキーでログインできませんでした。パスワードでログインしてください。"
        )
        expect(page.get_by_role("heading", name="事故一覧")).not_to_be_visible()


def test_a_cloned_passkey_whose_sign_count_went_back_is_refused(
    product: Product, phone_390: Page
) -> None:
    page, origin = phone_390, local(product)
    email, cdp, authenticator_id = signed_in_with_a_passkey(product, page, "私のPixel")
    log_out(page)
    log_in_with_passkey(page, origin)
    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()
    log_out(page)

    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
        "credentials"
    ]
    assert credential["signCount"] >= 1
    cdp.send(
        "WebAuthn.removeCredential",
        {"authenticatorId": authenticator_id, "credentialId": credential["credentialId"]},
    )
    cdp.send(
        "WebAuthn.addCredential",
        {"authenticatorId": authenticator_id, "credential": {**credential, "signCount": 0}},
    )
    log_in_with_passkey(page, origin)

    expect(page.locator("#passkey-log-in-error")).to_have_text(
        "パスキーでログインできませんでした。パスワードでログインしてください。"
    )
    page.screenshot(path=SHOTS / "passkeys-refused-ja.png", full_page=True)

    # Disabled, not only refused: the list says so, and the customer is mailed the notice.
    log_in_with_password(page, origin, email)
    page.goto(origin + "/settings/passkeys")
    entry = page.locator("#passkey-list li.passkey").filter(has_text="私のPixel")
    expect(entry).to_contain_text("無効（複製の疑い）")
    expect(entry).to_contain_text("このパスキーではログインできません。")
    page.screenshot(path=SHOTS / "sessioncheck-passkey-disabled-ja.png", full_page=True)
    product.wait_for(
        "notifier",
        "SELECT 1 FROM sent_mails WHERE kind = 'passkey_disabled' AND recipient = %s",
        email,
        timeout=60,
    )
    log_out(page)
    log_in_with_passkey(page, origin)  # the authenticator's copy now counts up: still refused
    expect(page.locator("#passkey-log-in-error")).to_be_visible()


def test_adding_a_passkey_long_after_the_log_in_asks_to_log_in_again(
    product: Product, phone_390: Page
) -> None:
    page, origin = phone_390, local(product)
    authenticator(page)
    customer = product.customer()
    log_in_with_password(page, origin, customer.email)
    page.goto(origin + "/settings/passkeys")
    product.clock.advance(seconds=601)  # the access token (15 minutes) still holds
    try:
        page.get_by_role("button", name="この端末でパスキーを追加する").click()

        expect(page.locator("#passkeys-error")).to_contain_text(
            "安全のため、もう一度ログインしてから操作してください。"
        )
        page.get_by_role("button", name="もう一度ログインする").click()
        expect(page.get_by_label("ユーザーID（メールアドレス）")).to_have_value(customer.email)
    finally:
        product.clock.advance(seconds=-601)


@contextlib.contextmanager
def another_gateway(product: Product) -> Iterator[str]:
    """A second gateway before the same services: the web front served from another origin,
    as a look-alike site relaying to the real API would be."""
    state = local_dir() / f"test-web-{uuid.uuid4().hex[:8]}"
    gateway = LocalGateway(
        state,
        {name: url.removeprefix("http://") for name, url in product.services.items()},
        web_root=repo_root() / "web",
        sensitive_rate="600r/m",
        sensitive_burst=100,
    ).start()
    try:
        yield gateway.url.replace("127.0.0.1", "localhost")
    finally:
        gateway.stop()
        shutil.rmtree(state, ignore_errors=True)


def test_the_app_logs_in_with_a_passkey_and_stays_logged_in(
    product: Product, phone_390: Page
) -> None:
    page, origin = phone_390, local(product)
    signed_in_with_a_passkey(product, page, "私のiPhone")
    log_out(page)

    page.goto(origin + "/app/")
    page.get_by_role("link", name="自動車事故の対応状況を確認する").click()
    page.get_by_label("ログインしたままにする").check()
    page.get_by_role("button", name="パスキーでログイン").click()
    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()
    page.screenshot(path=SHOTS / "passkeys-app-ja.png", full_page=True)
    assert page.evaluate("localStorage.getItem('app-session')"), "kept on the device"
    assert page.evaluate("localStorage.getItem('app-device')"), "identity knows this device"

    page.reload()
    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()
