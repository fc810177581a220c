"""Talking to the handler at 360 px, in Chromium against the whole product (real clamd, object
store, Kafka, PostgreSQL, SMTP): two photos sent against the handler's request are 受付済み, then
確認済み once the handler's document_reviewed arrives; a message round trip with the unread badge,
the 既読 mark and the "new message" mail; the EICAR test file refused in words beside it while the
file sent with it is received; a closed claim read-only."""

from __future__ import annotations

import io
import re
import time
import uuid
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect
from web_harness import Product, artifacts_dir

from claim_status.read_model import ClaimReadModel
from claim_status_harness import ClaimLog

expect.set_options(timeout=20_000)
PASSWORD = "a good passphrase"
AXE = Axe()
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def photo(name: str, colour: str) -> FilePayload:
    """A small JPEG as a phone's camera would hand it over."""
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def snap(page: Page, name: str) -> None:
    page.screenshot(path=artifacts_dir() / f"{name}-360.png", full_page=True)


def fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 360 px"


def accessible(page: Page) -> None:
    """axe-core finds nothing serious or critical on the page as it stands."""
    violations = AXE.run(page).response["violations"]
    serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def log_in(page: Page, product: Product, email: str) -> None:
    page.goto(product.url + "/")
    page.get_by_label("ユーザーID（メールアドレス）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="事故一覧")).to_be_visible()


def open_accident(page: Page) -> None:
    page.get_by_role("link", name=re.compile("交差点での追突事故")).click()
    expect(page.get_by_role("heading", name="事故の対応状況")).to_be_visible()


def with_accident(product: Product, page: Page) -> tuple[Any, ClaimLog]:
    customer = product.customer(PASSWORD)
    claim = product.accident_for(customer.customer_id, customer.policy_numbers[0])
    log_in(page, product, customer.email)
    return customer, claim


def test_two_photos_against_a_request_are_received_then_checked(
    product: Product, phone: Page
) -> None:
    _, claim = with_accident(product, phone)
    accident = phone.get_by_role("link", name=re.compile("交差点での追突事故"))
    expect(accident).to_contain_text("ご対応のお願いがあります")
    open_accident(phone)

    request = phone.locator("#actions li.request[data-action-id=A1]")
    expect(phone.locator("#actions-title")).to_have_text("ご対応のお願いがあります")
    expect(request).to_contain_text("修理見積書をお送りください")
    expect(request).to_contain_text("期限：2026年12月10日")
    expect(request.locator(".state-badge")).to_have_text("お願い中")
    upload = request.get_by_label("このお願いの書類・写真を送る")
    expect(upload).to_have_attribute(
        "accept", "image/jpeg,image/png,image/heic,image/heif,application/pdf"
    )
    assert upload.evaluate("input => input.multiple")

    upload.set_input_files([photo("front.jpg", "red"), photo("rear.jpg", "blue")])
    rows = request.locator("li.upload")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="front.jpg")).to_contain_text("受付済み")
    expect(rows.filter(has_text="rear.jpg")).to_contain_text("受付済み")
    expect(request.locator(".state-badge")).to_have_text("提出済み（確認待ち）")
    documents = phone.locator("#documents li.document")
    expect(documents).to_have_count(2)
    expect(documents.filter(has_text="front.jpg")).to_contain_text("受付済み")
    expect(documents.filter(has_text="front.jpg")).to_contain_text("KB")
    fits_the_screen(phone)
    accessible(phone)
    snap(phone, "correspondence-photos-received")

    document_ids = documents.evaluate_all("items => items.map((li) => li.dataset.documentId)")
    product.adjuster_sends(
        *(
            claim.next(
                "document_reviewed",
                product.clock,
                document_id=document_id,
                result="accepted",
                reason=None,
            )
            for document_id in document_ids
        )
    )
    product.visible(claim)
    phone.reload()
    expect(request.locator(".state-badge")).to_have_text("確認済み")
    expect(documents.filter(has_text="front.jpg")).to_contain_text("確認済み")
    expect(documents.filter(has_text="rear.jpg")).to_contain_text("確認済み")
    expect(request.get_by_label("このお願いの書類・写真を送る")).to_have_count(0)
    fits_the_screen(phone)
    snap(phone, "correspondence-photos-checked")


def test_a_message_round_trip_with_the_unread_badge_and_the_mail(
    product: Product, phone: Page
) -> None:
    customer, claim = with_accident(product, phone)
    open_accident(phone)

    board = phone.locator("#messages")
    expect(board).to_contain_text("平日 9:00〜17:00")
    box = board.get_by_label("メッセージ（2,000文字まで）")
    expect(board.locator("#message-count")).to_have_text("0 / 2,000文字")
    typed = '見積書は明日送ります。<b>太字</b> https://example.com/"x"'
    box.fill(typed)
    expect(board.locator("#message-count")).to_have_text(f"{len(typed)} / 2,000文字")
    board.get_by_role("button", name="送信する").click()

    thread = board.locator("ol.thread li.message")
    expect(thread).to_have_count(1)
    mine = thread.last
    expect(mine.locator(".message-text")).to_have_text(typed)
    expect(mine.locator("a, b")).to_have_count(0)  # text only: no link, no markup
    expect(box).to_have_value("")

    product.adjuster_sends(
        claim.next(
            "message_to_customer",
            product.clock,
            message_id=str(uuid.uuid4()),
            text="ありがとうございます。届きましたらご連絡します。",
        )
    )
    product.visible(claim)
    read_up_to = mine.get_attribute("data-message-id")
    product.adjuster_sends(claim.next("customer_messages_read", product.clock, up_to=read_up_to))
    product.wait_for(  # the handler's 既読 mark is not on the timeline: wait for the claim itself
        "claim_status",
        f"SELECT 1 FROM {ClaimReadModel().table} WHERE claim_id = %s "
        "AND detail->>'handler_read_up_to' = %s",
        claim.claim_id,
        read_up_to,
    )
    mail = new_message_mail(product, customer.email)
    assert mail["subject"] == "【お客さまWebサービス】新着メッセージがあります"
    assert "ログインし、事故一覧で対象の事故をご確認ください" in mail["text"]
    assert "「担当者とのメッセージ」に表示され" in mail["text"]
    assert "http" not in mail["text"] and claim.claim_id not in mail["text"], "no link, no claim"
    assert "ありがとうございます" not in mail["text"], "the mail never carries the message itself"

    phone.goto(product.url + "/accidents")
    accident = phone.get_by_role("link", name=re.compile("交差点での追突事故"))
    expect(accident.locator(".unread-badge")).to_have_text("新着メッセージ 1件")
    snap(phone, "correspondence-unread-badge")
    open_accident(phone)
    expect(board.locator("#messages-unread")).to_have_text("新着メッセージ 1件")
    expect(thread).to_have_count(2)
    expect(thread.last).to_contain_text("担当者")
    expect(thread.last).to_contain_text("ありがとうございます。届きましたらご連絡します。")
    expect(thread.last.locator(".new-mark")).to_have_text("新着")
    expect(thread.first.locator(".read-mark")).to_have_text("既読")
    fits_the_screen(phone)
    accessible(phone)
    snap(phone, "correspondence-thread")

    phone.goto(product.url + "/accidents")  # reading the thread marked it read
    expect(accident).to_be_visible()
    expect(accident.locator(".unread-badge")).to_have_count(0)


def new_message_mail(product: Product, address: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in product.mails_to(address):
            if "新着メッセージ" in mail["subject"]:
                return mail
        time.sleep(0.2)
    raise AssertionError(f"no 新着メッセージ mail to {address}")


def test_the_eicar_test_file_is_refused_in_words_and_the_other_file_received(
    product: Product, phone: Page
) -> None:
    """Each refusal in the API's own words beside its file (a virus, a program renamed .jpg, a
    file of 10 MB and more); the photo sent with them is received all the same."""
    with_accident(product, phone)
    open_accident(phone)

    infected: FilePayload = {
        "name": "estimate.pdf",
        "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n",
    }
    renamed: FilePayload = {
        "name": "photo.jpg",
        "mimeType": "image/jpeg",
        "buffer": b"MZ\x90\x00" + b"\x00" * 200,
    }
    too_large: FilePayload = {
        "name": "scan.pdf",
        "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024),
    }
    phone.get_by_label("その他の書類・写真を送る").set_input_files(
        [infected, renamed, too_large, photo("damage.jpg", "green")]
    )
    rows = phone.locator("#documents li.upload")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="damage.jpg")).to_contain_text("受付済み")
    for name, words in [
        ("estimate.pdf", "ウイルスが見つかった"),
        ("photo.jpg", "このファイルの種類はお送りいただけません"),
        ("scan.pdf", "1ファイル10MBまで"),
    ]:
        refused = rows.filter(has_text=name)
        expect(refused).to_have_class(re.compile("refused"))
        expect(refused.locator(".field-error")).to_contain_text(words)
        expect(refused).not_to_contain_text("受付済み")
    listed = phone.locator("#documents li.document")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("damage.jpg")
    fits_the_screen(phone)
    snap(phone, "correspondence-eicar-refused")


def test_a_closed_claim_is_read_only(product: Product, phone: Page) -> None:
    _, claim = with_accident(product, phone)
    product.adjuster_sends(claim.next("claim_closed", product.clock))
    product.visible(claim)
    open_accident(phone)

    expect(phone.locator("#messages")).to_contain_text("メッセージはお送りいただけません")
    expect(phone.locator("input[type=file]")).to_have_count(0)
    expect(phone.locator("#message-form")).to_have_count(0)
    fits_the_screen(phone)
    snap(phone, "correspondence-closed")

    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Messages with your handler")).to_be_visible()
    expect(phone.locator("#messages")).to_contain_text("Weekdays 9:00-17:00")
    expect(phone.locator("#messages")).to_contain_text("can no longer be sent")
    expect(phone.locator("#actions .state-badge")).to_have_text("Requested")
