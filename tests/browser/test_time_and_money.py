"""Time and money on the accident page, as the customer reads them at phone and desktop width: a
claim that becomes complete (the payment deadline counted from that day), is extended (the reason
in plain words) and is paid (payee masked, the breakdown, the totals); the numbers to quote on the
phone; each stage's date, a skipped stage never shown as done; how fresh the view is, with 更新;
the page read again after the customer's own message; and the claim as it was on a day of its
timeline, said to be past, with the way back."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from playwright.sync_api import Page, expect
from test_customer_journeys import accessible
from web_harness import Product, artifacts_dir

from claim_status_harness import ClaimLog, reported
from claims_shared.events import AdjusterUpdate
from devinfra.testing import ManualClock

expect.set_options(timeout=15_000)
PASSWORD = "a good passphrase"
CLAIM_NUMBER = "20261125-00417"
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"
JAPAN = timezone(timedelta(hours=9))


def next_morning(clock: ManualClock) -> date:
    """Moves the clock on to the next 10:00 in Japan and answers that day: the module's services
    share one clock that other tests have moved (never back: tokens and events must not go back
    in time), and each step below must fall on a day of its own."""
    now = clock.now.astimezone(JAPAN)
    morning = datetime.combine(now.date() + timedelta(days=1), time(10), JAPAN)
    clock.advance(seconds=(morning - now).total_seconds())
    return morning.date()


def day(d: date) -> str:
    """A day as the page writes it (「12月25日」; the year too when it is not this year's)."""
    return rf"({d.year}年)?{d.month}月{d.day}日"


def opened_and_complete(
    product: Product, customer_id: str, policy_number: str, completed: date
) -> ClaimLog:
    """Reported today, investigated from the next day, every document in that day (`completed`)."""
    claim = ClaimLog()
    clock = product.clock
    opened = {**reported(customer_id, policy_number), "claim_number": CLAIM_NUMBER}
    product.adjuster_sends(
        claim.next("claim_opened", clock, **opened),
        claim.next(
            "handler_assigned",
            clock,
            name="佐藤 健",
            office="東京損害サービス第一課",
            phone="03-1234-5678",
        ),
        claim.next("coverage_updated", clock, coverage="own_vehicle", status="investigating"),
        claim.next("coverage_updated", clock, coverage="property_damage", status="investigating"),
    )
    clock.advance(days=1)
    product.adjuster_sends(
        claim.next("stage_changed", clock, stage="investigating"),
        claim.next("claim_completed", clock, completed_on=completed.isoformat()),
    )
    product.visible(claim)
    return claim


PAID = {"payment_id": "P1", "coverage": "own_vehicle", "amount": 1_234_567}
PAYEE = {"bank": "みらい銀行", "branch": "新宿支店", "account_last_digits": "1234"}
BREAKDOWN = [{"item": "修理費", "amount": 1_334_567}, {"item": "免責金額", "amount": -100_000}]
SCHEDULED = {"payment_id": "P2", "coverage": "property_damage", "amount": 98_000}


def paid_and_scheduled(
    claim: ClaimLog, clock: ManualClock, paid_on: date, scheduled_on: date
) -> list[AdjusterUpdate]:
    """Own vehicle paid to a masked account with its breakdown (repairs less the excess);
    property damage scheduled, no payee sent."""
    money = {**PAID, "payee": PAYEE, "breakdown": BREAKDOWN}
    return [
        claim.next("stage_changed", clock, stage="payment_processing"),
        claim.next("payment_scheduled", clock, **money, scheduled_on=paid_on.isoformat()),
        claim.next("payment_made", clock, **money, paid_on=paid_on.isoformat()),
        claim.next("payment_scheduled", clock, **SCHEDULED, scheduled_on=scheduled_on.isoformat()),
    ]


def log_in_and_open(page: Page, product: Product, email: str) -> None:
    page.goto(product.url + "/")
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    listed = page.get_by_role("listitem").filter(has_text=CLAIM_NUMBER)
    expect(listed).to_contain_text("事故受付番号")
    expect(listed).to_contain_text("証券番号")
    expect(page.locator("#as-of")).to_have_text(re.compile(r"\d+時\d+分時点の情報"))
    expect(page.get_by_role("button", name="更新")).to_be_visible()
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=artifacts_dir() / f"web17-list-{width}.png", full_page=True)
    listed.get_by_role("link").click()
    expect(page.get_by_role("heading", name="事故の対応状況")).to_be_visible()


def refresh(page: Page) -> None:
    before = page.locator("#as-of").text_content()
    page.get_by_role("button", name="更新").click()
    expect(page.locator("#as-of")).not_to_have_text(before or "")


def test_complete_extended_paid_as_the_customer_reads_it(product: Product, page: Page) -> None:
    customer = product.customer(PASSWORD)
    policy_number = customer.policy_numbers[0]
    clock = product.clock
    reported_on = next_morning(clock)
    completed = reported_on + timedelta(days=1)
    claim = opened_and_complete(product, customer.customer_id, policy_number, completed)
    log_in_and_open(page, product, customer.email)

    head = page.locator("#accident")
    expect(head).to_contain_text(CLAIM_NUMBER)
    expect(head).to_contain_text(policy_number)
    # 請求完了日からその日を含めて30日以内: the completion day is day 1.
    due = completed + timedelta(days=29)
    expect(page.locator("#payment-deadline")).to_have_text(
        re.compile(
            rf"^お支払い期限の目安：{day(due)}（必要書類がそろった{day(completed)}から30日）$"
        )
    )
    expect(page.locator("#deadline-extension")).to_have_count(0)
    expect(page.locator("#deadline-pending")).to_have_count(0)
    progress = page.get_by_role("list", name="対応の進み具合")
    current = progress.locator("[aria-current=step]")
    expect(current).to_contain_text("損害調査中")
    # The current stage since its day (「〜」 on screen, 「から」 to a screen reader); a done
    # stage's day is labelled 到達日 for a screen reader.
    expect(current.locator(".step-date [aria-hidden=true]")).to_have_text(
        re.compile(rf"^{day(completed)}〜$")
    )
    expect(current.locator(".step-date .visually-hidden")).to_have_text(
        re.compile(rf"^{day(completed)}から$")
    )
    reported_step = progress.get_by_role("listitem").filter(has_text="事故受付")
    expect(reported_step.locator(".step-date [aria-hidden=true]")).to_have_text(
        re.compile(rf"^{day(reported_on)}$")
    )
    expect(reported_step.locator(".step-date .visually-hidden")).to_have_text(
        re.compile(rf"^到達日 {day(reported_on)}$")
    )
    # No closed claim backs a typical duration in a fresh store: none is made up.
    expect(progress).not_to_contain_text("通常")

    clock.advance(days=1)
    product.adjuster_sends(
        claim.next(
            "payment_deadline_extended",
            clock,
            reason="public_authority_inquiry",
            coverage="property_damage",
        )
    )
    product.visible(claim)
    refresh(page)
    extended = completed + timedelta(days=179)  # an inquiry to a public authority: 180 days
    # Property damage alone is extended: the soonest deadline, own vehicle's, is still the headline.
    expect(page.locator("#payment-deadline")).to_contain_text(
        re.compile(rf"^お支払い期限の目安：{day(due)}（")
    )
    expect(page.locator("#deadline-extension")).to_have_count(0)

    clock.advance(days=1)
    paid_on = reported_on + timedelta(days=3)
    scheduled_on = paid_on + timedelta(days=17)
    product.adjuster_sends(*paid_and_scheduled(claim, clock, paid_on, scheduled_on))
    product.visible(claim)
    refresh(page)

    payments = page.locator("#payments")
    made = payments.get_by_role("listitem").filter(has_text="お支払い済")
    expect(made).to_contain_text("車両")
    expect(made).to_contain_text("￥1,234,567")
    expect(made.locator(".payee")).to_have_text("みらい銀行 新宿支店 ****1234")
    expect(made.locator(".breakdown")).to_contain_text("修理費")
    expect(made.locator(".breakdown")).to_contain_text("￥1,334,567")
    expect(made.locator(".breakdown")).to_contain_text("免責金額")
    expect(made.locator(".breakdown")).to_contain_text("-￥100,000")
    scheduled = payments.get_by_role("listitem").filter(has_text="お支払い予定")
    expect(scheduled).to_contain_text("対物賠償")
    expect(scheduled).to_contain_text(re.compile(day(scheduled_on)))
    expect(scheduled.locator(".payee")).to_have_count(0)
    expect(page.locator("#payment-totals")).to_have_text(
        re.compile("お支払い済みの合計.*￥1,234,567.*お支払い予定の合計.*￥98,000", re.S)
    )
    # Own vehicle paid, the headline is property damage's extended deadline: whose, in words.
    expect(page.locator("#payment-deadline")).to_contain_text(
        re.compile(rf"^お支払い期限の目安：{day(extended)}（")
    )
    expect(page.locator("#deadline-extension")).to_have_text(
        re.compile(
            r"^対物賠償は、警察・検察・消防など公の機関への照会が必要なため、"
            rf"お支払い期限を{day(extended)}まで延長しています。$"
        )
    )
    # Each coverage still to be paid has its own deadline; the one paid has none left.
    coverages = page.locator("#coverages tbody tr")
    expect(coverages.filter(has_text="対物賠償")).to_contain_text(
        re.compile(rf"お支払い期限の目安：{day(extended)}")
    )
    expect(coverages.filter(has_text="車両")).not_to_contain_text("お支払い期限")
    expect(progress.get_by_role("listitem").filter(has_text="示談交渉中")).to_have_class("skipped")
    expect(progress.get_by_role("listitem").filter(has_text="示談交渉中")).not_to_contain_text("月")
    expect(current.locator(".step-date [aria-hidden=true]")).to_have_text(
        re.compile(rf"^{day(paid_on)}〜$")
    )
    assert page.evaluate(SIDEWAYS) <= 0, "the detail scrolls sideways"
    accessible(page)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=artifacts_dir() / f"web17-detail-paid-{width}.png", full_page=True)

    # The day the documents were all in, from its timeline entry: no extension, no payment yet.
    entry = page.locator("#timeline li").filter(has_text="必要書類がそろいました")
    entry.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"\?as_of={completed.isoformat()}$"))
    expect(page.locator("#past-view")).to_contain_text(
        f"{completed.year}年{completed.month}月{completed.day}日時点の状況を表示しています。"
        "これは過去の情報です。"
    )
    expect(page.locator("#payment-deadline")).to_contain_text(re.compile(day(due)))
    expect(page.locator("#deadline-extension")).to_have_count(0)
    expect(page.locator("#payments .payment")).to_have_count(0)
    expect(page.get_by_role("button", name="更新")).to_have_count(0)
    accessible(page)
    page.screenshot(path=artifacts_dir() / f"web17-as-of-{width}.png", full_page=True)
    page.get_by_role("link", name="最新の状況に戻る").click()
    expect(page.locator("#past-view")).to_have_count(0)
    expect(page.locator("#payments .payment")).to_have_count(2)
    past_and_future_days(page, product, claim.claim_id, reported_on)

    # The customer's own message: the page read again already holds what changed meanwhile.
    product.adjuster_sends(claim.next("note_added", clock, text="お振込みの手続きが完了しました"))
    product.visible(claim)
    expect(page.locator("#timeline")).not_to_contain_text("お振込みの手続きが完了しました")
    board = page.locator("#messages")
    board.get_by_label("メッセージ（2,000文字まで）").fill("入金を確認しました。")
    board.get_by_role("button", name="送信する").click()
    expect(board.locator("li.message .message-text")).to_have_text("入金を確認しました。")
    expect(page.locator("#timeline li").first).to_contain_text("お振込みの手続きが完了しました")
    # Today's entries are what the page shows already: no link to call today "過去の情報".
    expect(page.locator("#timeline li").first.get_by_role("link")).to_have_count(0)
    expect(page.locator("#timeline li").last.get_by_role("link")).to_have_count(1)

    page.get_by_role("button", name="English").click()
    expect(page.locator("#payment-deadline")).to_contain_text("Payment expected by")
    expect(page.locator("#accident")).to_contain_text("Claim number")
    expect(page.locator("#payments")).to_contain_text("Paid to")
    expect(page.locator("#payment-totals")).to_contain_text("Total paid")
    expect(page.locator("#as-of")).to_contain_text("Information as of")
    expect(page.locator("#deadline-extension")).to_contain_text(
        re.compile(r"^The payment date for Property damage liability is extended to \d+ \w+")
    )
    steps = page.locator("#progress li")  # the list's name is English now
    expect(page.locator("#progress [aria-current=step] .step-date")).to_contain_text(
        re.compile(r"^since \d+ \w+")
    )
    expect(steps.first.locator(".step-date [aria-hidden=true]")).to_have_text(
        re.compile(r"^reached \d+ \w+")
    )
    page.screenshot(path=artifacts_dir() / f"web17-detail-en-{width}.png", full_page=True)


def past_and_future_days(page: Page, product: Product, claim_id: str, reported_on: date) -> None:
    """The address asks for a day; the page believes claim-status's answer, not the address. The
    day the claim was reported (not complete yet): a past view that says when payment will come.
    Today and a day to come: answered live, shown as the latest. The day before it was reported:
    the claim did not exist yet, said in words, with the way back."""
    detail = f"{product.url}/accidents/{claim_id}"
    page.goto(f"{detail}?as_of={reported_on.isoformat()}")
    expect(page.locator("#past-view")).to_be_visible()
    expect(page.locator("#payment-deadline")).to_have_count(0)
    expect(page.locator("#deadline-pending")).to_have_text(
        re.compile(
            r"^お支払いの時期：必要書類がすべてそろった日から30日以内を目安にお支払いします"
            r"（調査が必要な場合は延びることがあります）。.*ここにお支払い期限の目安を表示します。$"
        )
    )
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=artifacts_dir() / f"polish17-before-complete-{width}.png", full_page=True)

    today = product.clock.now.astimezone(JAPAN).date()
    for asked in (today, today + timedelta(days=3)):
        page.goto(f"{detail}?as_of={asked.isoformat()}")
        expect(page.locator("#as-of")).to_have_text(re.compile(r"\d+時\d+分時点の情報"))
        expect(page.locator("#past-view")).to_have_count(0)
        expect(page.get_by_role("button", name="更新")).to_be_visible()
        expect(page.locator("#messages")).to_be_visible()
        expect(page).to_have_url(re.compile(rf"/accidents/{claim_id}$"))

    before = reported_on - timedelta(days=1)
    page.goto(f"{detail}?as_of={before.isoformat()}")
    expect(page.locator("#not-yet-opened")).to_have_text(
        re.compile(
            rf"^この事故は{before.year}年{before.month}月{before.day}日にはまだ受け付けられて"
            "いませんでした。"
        )
    )
    expect(page.locator("#not-found")).to_have_count(0)
    page.screenshot(path=artifacts_dir() / f"polish17-not-yet-{width}.png", full_page=True)
    page.get_by_role("link", name="最新の状況に戻る").click()
    expect(page.locator("#not-yet-opened")).to_have_count(0)
    expect(page.locator("#payments .payment")).to_have_count(2)


def closed_after_days_investigating(product: Product, days: int, claims: int) -> None:
    """`claims` accidents of another customer, each 損害調査中 for `days` days and then resolved:
    what 「通常◯日程度」 is the median of."""
    others, clock = product.customer(PASSWORD), product.clock
    logs = [ClaimLog() for _ in range(claims)]
    opened = reported(others.customer_id, others.policy_numbers[0])
    product.adjuster_sends(
        *(
            update
            for log in logs
            for update in (
                log.next("claim_opened", clock, **opened),
                log.next("stage_changed", clock, stage="investigating"),
            )
        )
    )
    clock.advance(days=days)
    product.adjuster_sends(*(log.next("claim_closed", clock) for log in logs))
    for log in logs:
        product.visible(log)


def test_the_current_stage_says_its_typical_time_once_twenty_closed_claims_back_it(
    product: Product, phone: Page
) -> None:
    """At least 20 claims closed in the last 180 days back the figure (the setting's default);
    it is shown on the current stage only, with the words that it is no promise."""
    next_morning(product.clock)
    closed_after_days_investigating(product, days=12, claims=20)
    customer, claim, clock = product.customer(PASSWORD), ClaimLog(), product.clock
    opened = {**reported(customer.customer_id, customer.policy_numbers[0])}
    product.adjuster_sends(
        claim.next("claim_opened", clock, **opened, claim_number=CLAIM_NUMBER),
        claim.next("stage_changed", clock, stage="investigating"),
    )
    product.visible(claim)
    clock.advance(minutes=10)  # past the few minutes the figure is kept
    log_in_and_open(phone, product, customer.email)

    progress = phone.get_by_role("list", name="対応の進み具合")
    current = progress.locator("[aria-current=step]")
    expect(current).to_contain_text("損害調査中")
    expect(current.locator(".step-typical")).to_have_text(
        "通常12日程度（これまでの事故の目安で、お約束するものではありません）"
    )
    expect(progress.locator(".step-typical")).to_have_count(1)
    assert phone.evaluate(SIDEWAYS) <= 0, "the stages scroll sideways at phone width"
    phone.screenshot(path=artifacts_dir() / "typical-days-360.png", full_page=True)
