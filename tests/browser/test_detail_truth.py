"""The accident detail at 360 px tells the truth and fits: a stage the claim went past without is
shown as not needed (not done), a coverage whose payment is made is shown paid, coverages in the
usual order, payments readable without scrolling sideways, the handler's name and phone number
on one line."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from web_harness import Product, artifacts_dir

from claim_status_harness import ClaimLog

AXE = Axe()
expect.set_options(timeout=15_000)
PASSWORD = "a good passphrase"


def test_the_detail_tells_skipped_stages_paid_coverages_and_fits_a_phone(
    product: Product, phone: Page
) -> None:
    customer = product.customer(PASSWORD)
    claim = product.accident_for(customer.customer_id, customer.policy_numbers[0])
    clock = product.clock
    product.adjuster_sends(
        claim.next("stage_changed", clock, stage="investigating"),
        claim.next("coverage_updated", clock, coverage="own_vehicle", status="paying"),
        claim.next("coverage_updated", clock, coverage="personal_injury", status="reviewing"),
        claim.next("coverage_updated", clock, coverage="bodily_injury", status="investigating"),
        claim.next("stage_changed", clock, stage="payment_processing"),
        *claim.payment(
            clock, "P1", "own_vehicle", 1_234_567, scheduled_on="2026-12-01", paid_on="2026-11-25"
        ),
        claim.next(
            "payment_scheduled",
            clock,
            payment_id="P2",
            coverage="property_damage",
            amount=98_000,
            scheduled_on="2026-12-15",
        ),
    )
    product.visible(claim)

    phone.goto(product.url + "/")
    phone.get_by_label("ユーザーID（メールアドレス）").fill(customer.email)
    phone.get_by_label("パスワード", exact=True).fill(PASSWORD)
    phone.get_by_role("button", name="ログイン").click()
    phone.get_by_role("link", name=re.compile("交差点での追突事故")).click()
    expect(phone.get_by_role("heading", name="事故の対応状況")).to_be_visible()

    progress = phone.get_by_role("list", name="対応の進み具合")
    expect(progress.locator("[aria-current=step]")).to_have_text(re.compile("保険金お支払い手続中"))
    negotiating = progress.get_by_role("listitem").filter(has_text="示談交渉中")
    expect(negotiating).to_have_class("skipped")
    expect(negotiating).to_contain_text("該当なし")
    expect(negotiating).not_to_contain_text("完了")
    expect(progress.get_by_role("listitem").filter(has_text="損害調査中")).to_have_class("done")
    phone.screenshot(path=artifacts_dir() / "detail-skipped-stage-360.png", full_page=True)

    rows = phone.locator("#coverages tbody tr")
    expect(rows).to_have_text(
        [
            re.compile("対人賠償.*損害調査中"),
            re.compile("対物賠償.*損害調査中"),
            re.compile("人身傷害.*確認中"),
            re.compile("車両.*お支払い済"),
        ]
    )

    payments = phone.locator("#payments")
    expect(payments.get_by_role("listitem")).to_have_count(2)
    expect(payments).to_contain_text("￥1,234,567")
    overflow = phone.evaluate(
        """() => [document.documentElement.scrollWidth - window.innerWidth,
                  ...[...document.querySelectorAll('#payments, #payments *')]
                     .map((e) => e.scrollWidth - e.clientWidth)]"""
    )
    assert max(overflow) <= 0, f"something scrolls sideways at 360 px: {overflow}"
    payments.screenshot(path=artifacts_dir() / "payments-360.png")

    name = phone.locator("#handler .handler-name").bounding_box()
    number = phone.get_by_role("link", name="03-1234-5678").bounding_box()
    assert name and number
    assert abs(name["y"] + name["height"] - (number["y"] + number["height"])) < 6, (name, number)
    phone.locator("#handler").screenshot(path=artifacts_dir() / "handler-360.png")
    tops = {
        round(box["y"])
        for box in (b.bounding_box() for b in phone.locator("#site-nav > *").all())
        if box
    }
    assert len(tops) == 1, f"the site's buttons wrap at 360 px: {tops}"

    results = AXE.run(phone)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious


def test_long_adjuster_text_wraps_inside_a_phone(product: Product, phone: Page) -> None:
    """Found trying it: a long vehicle, office or location, or a URL in a note, made the list
    2,900 px and the detail 18,000 px wide at 360 px."""
    customer = product.customer(PASSWORD)
    claim = ClaimLog()
    clock = product.clock
    product.adjuster_sends(
        claim.next(
            "claim_opened",
            clock,
            customer_id=customer.customer_id,
            policy_number=customer.policy_numbers[0],
            accident_date="2026-11-19",
            location="東京都千代田区" + "X" * 190,
            summary="追突" + "Y" * 490,
            vehicle="トヨタ" + "Z" * 190,
        ),
        claim.next(
            "handler_assigned", clock, name="佐藤" + "N" * 90, office="O" * 100, phone="0312345678"
        ),
        claim.next("note_added", clock, text="https://example.jp/" + "a" * 1900),
    )
    product.visible(claim)
    phone.goto(product.url + "/")
    phone.get_by_label("ユーザーID（メールアドレス）").fill(customer.email)
    phone.get_by_label("パスワード", exact=True).fill(PASSWORD)
    phone.get_by_role("button", name="ログイン").click()
    listed = phone.get_by_role("link", name=re.compile("追突YYY"))
    expect(listed).to_be_visible()
    sideways = "() => document.documentElement.scrollWidth - window.innerWidth"
    assert phone.evaluate(sideways) <= 0, "the list scrolls sideways"
    listed.click()
    expect(phone.get_by_role("heading", name="事故の対応状況")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("https://example.jp/aaa")
    assert phone.evaluate(sideways) <= 0, "the detail scrolls sideways"
    phone.screenshot(path=artifacts_dir() / "detail-long-text-360.png")
