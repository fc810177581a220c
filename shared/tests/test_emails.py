"""One way to check and normalise an email address: exactly one mailbox, typed as Japanese
customers type it, and a refusal that names the field in the customer's language."""

import httpx
import pytest
from fastapi import APIRouter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from claims_shared.emails import EmailAddress, EmailRefused, email_address
from claims_shared.settings import ServiceSettings
from claims_shared.web import create_service_app

NOT_ONE_MAILBOX = [
    "taro@example.jp,jiro@example.jp",
    "taro@example.jp, jiro@example.jp",
    "taro@example.jp;jiro@example.jp",
    "taro@example.jp jiro@example.jp",
    "山田 太郎 <taro@example.jp>",
    "<taro@example.jp>",
    "taro,jiro@example.jp",
    "ta ro@example.jp",
    "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ，ｊｉｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
    "taro@jiro@example.jp",
    '"taro jiro"@example.jp',
]
NOT_AN_ADDRESS = [
    "",
    "taro",
    "@example.jp",
    "taro@",
    "taro@example",
    "taro..yamada@example.jp",
    "taro\x00@example.jp",
    "taro@example.jp\n",
    "taro@exam\tple.jp",
    "\u200btaro@example.jp",
    "taro\ud800@example.jp",
    "taro@example.invalid",
    "t" * 400 + "@example.jp",
]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("taro@example.jp", "taro@example.jp"),
        ("Taro.Yamada@Example.JP", "taro.yamada@example.jp"),
        (" ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ　", "taro@example.jp"),
        ("ＴＡＲＯ＠Ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
        ("o'brien+claims@example.jp", "o'brien+claims@example.jp"),
        ("太郎@例え.jp", "太郎@例え.jp"),
    ],
)
def test_an_address_is_folded_to_the_form_registration_stores(typed: str, stored: str) -> None:
    assert email_address(typed) == stored
    assert email_address(stored) == stored  # checking again further in changes nothing


@pytest.mark.parametrize("typed", NOT_ONE_MAILBOX)
def test_anything_but_one_mailbox_is_refused(typed: str) -> None:
    with pytest.raises(EmailRefused) as refused:
        email_address(typed)
    assert refused.value.refusal.code in ("email_not_one_address", "email_invalid")


def test_two_addresses_are_told_as_two_addresses() -> None:
    with pytest.raises(EmailRefused) as refused:
        email_address("taro@example.jp, jiro@example.jp")
    assert refused.value.refusal.code == "email_not_one_address"
    assert "1件だけ" in refused.value.refusal.message.ja
    assert "single email address" in refused.value.refusal.message.en


@pytest.mark.parametrize("typed", NOT_AN_ADDRESS)
def test_what_is_not_an_address_is_refused(typed: str) -> None:
    with pytest.raises(EmailRefused) as refused:
        email_address(typed)
    assert refused.value.refusal.code == "email_invalid"


class Contact(BaseModel):
    email: EmailAddress


async def test_a_request_body_refusal_names_the_field_with_a_code_in_the_customers_language() -> (
    None
):
    router = APIRouter()

    @router.post("/contact")
    async def contact(body: Contact) -> dict[str, str]:
        return {"email": body.email}

    app = create_service_app(settings=ServiceSettings(), routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        typed = await client.post("/contact", json={"email": "ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｊｐ"})
        two = {"email": "taro@example.jp,jiro@example.jp"}
        japanese = await client.post("/contact", json=two)
        english = await client.post("/contact", json=two, headers={"Accept-Language": "en"})
        not_text = await client.post("/contact", json={"email": 12})
    assert typed.json() == {"email": "taro@example.jp"}
    assert japanese.status_code == english.status_code == not_text.status_code == 422
    assert japanese.json()["code"] == "validation_failed"
    [field] = japanese.json()["errors"]
    assert field["field"] == "email" and field["code"] == "email_not_one_address"
    assert "メールアドレスは1件だけ" in field["message"]
    assert "single email address" in english.json()["errors"][0]["message"]
    assert not_text.json()["errors"][0]["field"] == "email"


SCHEMA = TypeAdapter(EmailAddress).json_schema()


@settings(max_examples=500, database=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(SCHEMA["pattern"], fullmatch=True))
def test_every_address_the_published_schema_describes_is_accepted(typed: str) -> None:
    """The API's schema is what generated clients (and schemathesis) build addresses from."""
    assert email_address(typed) == typed.lower()
