"""The customer guide's journeys in a real browser at phone and desktop width: what a
policyholder sees, reads and clicks, through the gateway, against the real services."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from web_harness import Product

AXE = Axe()
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


def within(
    check: Callable[[], list[dict[str, Any]]], timeout: float = 30.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"nothing within {timeout}s")


def full_width(text: str) -> str:
    """As a Japanese IME types it: digits, letters and the hyphen in full width."""
    return "".join(
        "－" if ch == "-" else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text
    )


def log_in(page: Page, product: Product, email: str, password: str) -> None:
    page.goto(product.url + "/")
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_simple_registration_then_the_accident_list_and_detail(
    product: Product, page: Page
) -> None:
    policy = product.record_policy(code="483921")
    claim = product.accident_for(policy.customer_id, policy.policy_number)
    email = f"taro.{uuid.uuid4().hex[:6]}@example.jp"

    page.goto(product.url + "/")
    expect(page.get_by_role("heading", name="自動車事故の対応状況の確認")).to_be_visible()
    accessible(page)
    page.get_by_role("link", name="利用登録へ進む").click()
    expect(page.get_by_role("heading", name="利用登録の方法を選ぶ")).to_be_visible()
    expect(
        page.get_by_text("「*****」と表示されている場合はご利用いただけません").first
    ).to_be_visible()
    expect(page.get_by_text("団体契約など一部のご契約はご利用いただけません")).to_be_visible()
    accessible(page)

    page.get_by_role("link", name="簡単登録へ進む").click()
    page.get_by_label("初回ユーザーID（証券番号）").fill(full_width(policy.policy_number))
    page.get_by_label("初回パスワード（手続コード）").fill("４８３９２１")
    accessible(page)
    page.get_by_role("button", name="次へ").click()

    expect(page.get_by_role("heading", name="簡単登録（2/2）")).to_be_visible()
    page.get_by_label("メールアドレス（今後のユーザーID）").fill(email.upper())
    page.get_by_label("新しいパスワード", exact=True).fill("山田家の 新しい 合言葉")
    page.get_by_label("新しいパスワード（確認のためもう一度）").fill("山田家の 新しい 合言葉")
    page.get_by_role("button", name="登録する").click()

    expect(page.get_by_role("status")).to_contain_text("ご登録が完了しました")
    expect(page.get_by_label("ユーザーID（メールアドレス）")).to_have_value(email.upper())
    product.wait_for("identity", "SELECT 1 FROM account_emails WHERE email = %s", email)
    page.get_by_label("パスワード", exact=True).fill("山田家の 新しい 合言葉")
    page.get_by_role("button", name="ログイン").click()

    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()
    accident = page.get_by_role("link", name=re.compile("交差点での追突事故"))
    expect(accident).to_contain_text("担当者決定")
    expect(accident).to_contain_text("トヨタ プリウス")
    accessible(page)
    accident.click()

    expect(page.get_by_role("heading", name="事故の対応状況")).to_be_visible()
    progress = page.get_by_role("list", name="対応の進み具合")
    expect(progress.locator("[aria-current=step]")).to_have_text(re.compile("担当者決定"))
    expect(page.locator("#actions")).to_contain_text("修理見積書をお送りください")
    expect(page.locator("#coverages")).to_contain_text("対物賠償")
    expect(page.locator("#coverages")).to_contain_text("損害調査中")
    phone = page.get_by_role("link", name="03-1234-5678")
    expect(phone).to_have_attribute("href", "tel:0312345678")
    expect(page.locator("#handler")).to_contain_text("事故担当者にお問い合わせください")
    expect(page.locator("#timeline")).to_contain_text("事故のご連絡を受け付けました")
    accessible(page)

    # The adjuster moves the claim on; a reload shows it, still logged in.
    product.adjuster_sends(claim.next("stage_changed", product.clock, stage="investigating"))
    product.visible(claim)
    page.reload()
    expect(progress.locator("[aria-current=step]")).to_have_text(re.compile("損害調査中"))
    assert page.evaluate("document.cookie") == "", "no session cookie a page script can read"
    stored = page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})")
    assert "eyJ" not in stored, "no token in web storage"

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Accident status")).to_be_visible()
    in_english = page.get_by_role("list", name="Progress").locator("[aria-current=step]")
    expect(in_english).to_have_text(re.compile("Investigating"))

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out")
    page.goto(f"{product.url}/accidents/{claim.claim_id}")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_new_registration_mail_forced_change_then_the_list(product: Product, page: Page) -> None:
    policy = product.record_policy(
        full_name="田中 美咲", kana="タナカ ミサキ", born=date(1992, 11, 3)
    )
    product.accident_for(policy.customer_id, policy.policy_number)
    email = f"misaki.{uuid.uuid4().hex[:6]}@example.jp"

    page.goto(product.url + "/register")
    page.get_by_role("link", name="新規登録へ進む").click()
    page.get_by_label("ご契約者さまのお名前").fill("田中　美咲")
    page.get_by_label("生年月日").fill("平成4年11月3日")
    page.get_by_label("証券番号").fill(full_width(policy.policy_number))
    page.get_by_label("メールアドレス").fill(email)
    accessible(page)
    page.get_by_role("button", name="送信する").click()

    expect(page.get_by_role("heading", name="メールをご確認ください")).to_be_visible()
    expect(page.locator("#sent")).to_contain_text("仮パスワードをメールでお送りします")
    accessible(page)

    mail = within(lambda: product.mails_to(email))[0]
    assert mail["subject"] == "【お客さまWebサービス】仮パスワードのお知らせ"
    match = re.search(r"仮パスワード：(\S+)", mail["text"])
    assert match is not None
    product.wait_for("identity", "SELECT 1 FROM account_emails WHERE email = %s", email)
    page.get_by_role("link", name="ログイン画面へ").click()
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(match.group(1))
    page.get_by_role("button", name="ログイン").click()

    expect(page.get_by_role("heading", name="パスワードの変更")).to_be_visible()
    expect(page.locator("#forced")).to_contain_text("仮パスワードでログインしました")
    accessible(page)
    page.get_by_label("仮パスワード（メールに記載のもの）").fill(match.group(1))
    page.get_by_label("新しいパスワード", exact=True).fill("password123")
    page.get_by_label("新しいパスワード（確認のためもう一度）").fill("password123")
    page.get_by_role("button", name="変更する").click()
    new_password_error = page.locator("#password-change-password-error")
    expect(new_password_error).not_to_be_empty()
    expect(page.get_by_label("新しいパスワード", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )

    page.get_by_label("新しいパスワード", exact=True).fill("みさきの 秘密の 合言葉")
    page.get_by_label("新しいパスワード（確認のためもう一度）").fill("みさきの 秘密の 合言葉")
    page.get_by_role("button", name="変更する").click()
    expect(page.get_by_role("status")).to_contain_text("パスワードを変更しました")
    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("交差点での追突事故"))).to_be_visible()


def test_refusals_show_the_guides_message_next_to_the_field(product: Product, page: Page) -> None:
    group = product.record_policy(contract_type="group", code="552011")
    masked = product.record_policy(state="masked", code=None)
    individual = product.record_policy(code="483921")
    page.goto(product.url + "/register/simple")

    def attempt(policy_number: str, code: str, language: str = "ja") -> None:
        labels = {
            "ja": ("初回ユーザーID（証券番号）", "初回パスワード（手続コード）", "次へ"),
            "en": ("Initial user ID (policy number)", "Initial password (procedure code)", "Next"),
        }[language]
        page.get_by_label(labels[0]).fill(policy_number)
        page.get_by_label(labels[1]).fill(code)
        page.get_by_role("button", name=labels[2]).click()

    attempt(group.policy_number, "552011")
    expect(page.get_by_role("alert")).to_contain_text("団体契約などはご利用いただけません")
    attempt(masked.policy_number, "*****")
    code_error = page.locator("#procedure-code-procedure_code-error")
    expect(code_error).to_contain_text("「*****」と表示されている場合")
    expect(page.get_by_role("alert").get_by_role("link", name="新規登録へ進む")).to_be_visible()
    attempt(individual.policy_number, "000000")
    expect(code_error).to_contain_text("証券番号または手続コードが正しくありません")
    expect(page.get_by_label("初回パスワード（手続コード）")).to_have_attribute(
        "aria-invalid", "true"
    )
    accessible(page)

    attempt("", "")
    expect(page.locator("#procedure-code-policy_number-error")).to_have_text("入力してください。")

    page.get_by_role("button", name="English").click()
    attempt(individual.policy_number, "111111", "en")
    expect(page.locator("#procedure-code-procedure_code-error")).to_contain_text(
        "The policy number or procedure code is incorrect"
    )


def test_another_customers_claim_typed_into_the_address_bar_is_not_found(
    product: Product, page: Page
) -> None:
    me, other = product.customer(), product.customer()
    mine = product.accident_for(me.customer_id, me.policy_numbers[0])
    theirs = product.accident_for(other.customer_id, other.policy_numbers[0])
    log_in(page, product, me.email, "a good passphrase")
    expect(page.get_by_role("link", name=re.compile("交差点での追突事故"))).to_have_count(1)

    page.goto(f"{product.url}/accidents/{theirs.claim_id}")
    expect(page.get_by_role("heading", name="事故が見つかりません")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("佐藤 健")
    page.goto(f"{product.url}/accidents/CL-does-not-exist")
    expect(page.get_by_role("heading", name="事故が見つかりません")).to_be_visible()
    page.goto(f"{product.url}/accidents/{mine.claim_id}")
    expect(page.get_by_role("heading", name="事故の対応状況")).to_be_visible()


def test_the_maintenance_page_inside_the_monday_window(product: Product, page: Page) -> None:
    normal = product.clock.now
    product.clock.now = datetime(2026, 11, 29, 17, 30, tzinfo=UTC)  # Monday 02:30 in Japan
    try:
        page.goto(product.url + "/")
        expect(page.get_by_role("heading", name="ただいまメンテナンス中です")).to_be_visible()
        expect(page.locator("#maintenance")).to_contain_text("毎週月曜日 2:00〜4:00（日本時間）")
        expect(page.locator("#maintenance")).to_contain_text("再開予定")
        accessible(page)
    finally:
        product.clock.now = normal
    page.reload()
    expect(page.get_by_role("heading", name="自動車事故の対応状況の確認")).to_be_visible()


def test_two_addresses_are_refused_with_the_apis_own_words(product: Product, page: Page) -> None:
    """The platform's own refusal (one mailbox only) is shown as the API says it, not as the
    generic 'check the format' the web front says for a schema's refusal."""
    policy = product.record_policy(
        full_name="田中 美咲", kana="タナカ ミサキ", born=date(1992, 11, 3)
    )
    page.goto(product.url + "/register")
    page.get_by_role("link", name="新規登録へ進む").click()
    page.get_by_label("ご契約者さまのお名前").fill("田中　美咲")
    page.get_by_label("生年月日").fill("平成4年11月3日")
    page.get_by_label("証券番号").fill(policy.policy_number)
    page.get_by_label("メールアドレス").fill("misaki@example.jp，victim@example.jp")
    page.get_by_role("button", name="送信する").click()
    expect(page.locator("#details-email-error")).to_contain_text("メールアドレスは1件だけ")
    expect(page.get_by_label("メールアドレス")).to_have_attribute("aria-invalid", "true")
    accessible(page)
