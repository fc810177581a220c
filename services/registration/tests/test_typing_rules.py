"""What Japanese customers type is folded before it is compared."""

from datetime import date

import pytest

from registration.domain import Policy
from registration.typing_rules import UnreadableDate, birth_date, name_key, policy_number


@pytest.mark.parametrize(
    "typed", ["A-2026-000001", "ａ２０２６－０００００１", "A 2026ー000001 ", "a2026000001"]
)
def test_policy_numbers_fold_to_one(typed: str) -> None:
    assert policy_number(typed) == "A2026000001"


@pytest.mark.parametrize("typed", ["山田 太郎", "山田　太郎", "山田太郎", " 山田  太郎 "])
def test_names_match_whatever_the_spaces(typed: str) -> None:
    assert name_key(typed) == name_key("山田 太郎")


@pytest.mark.parametrize("typed", ["やまだ たろう", "ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"])
def test_a_reading_matches_in_hiragana_katakana_or_half_width(typed: str) -> None:
    assert name_key(typed) == name_key("ヤマダ タロウ")


@pytest.mark.parametrize(
    "typed",
    [
        "1980-05-17",
        "1980/5/17",
        "1980.05.17",
        "19800517",
        "１９８０年５月１７日",
        "昭和55年5月17日",
        "S55.5.17",
        "s55/05/17",
        "昭和５５年５月１７日",
    ],
)
def test_birth_dates_as_people_type_them(typed: str) -> None:
    assert birth_date(typed) == date(1980, 5, 17)


def test_the_first_year_of_an_era_is_gannen() -> None:
    assert birth_date("平成元年1月8日") == date(1989, 1, 8)
    assert birth_date("令和元年5月1日") == date(2019, 5, 1)


@pytest.mark.parametrize("typed", ["1980-02-30", "昭和", "May 17", "17/05/1980", "2026年13月1日"])
def test_unreadable_dates_are_refused(typed: str) -> None:
    with pytest.raises(UnreadableDate):
        birth_date(typed)


def test_holder_matches_by_name_or_reading_and_birth_date() -> None:
    policy = Policy(
        "A1",
        "individual",
        "C1",
        "山田 太郎",
        "ヤマダ タロウ",
        date(1980, 5, 17),
        "issued",
        "hash",
        None,
    )
    assert policy.holder_is("山田　太郎", date(1980, 5, 17))
    assert policy.holder_is("やまだたろう", date(1980, 5, 17))
    assert not policy.holder_is("山田 次郎", date(1980, 5, 17))
    assert not policy.holder_is("山田 太郎", date(1980, 5, 18))


def test_masked_used_and_expired_codes_are_not_usable() -> None:
    def policy(state: str, code_hash: str | None, expires: date | None) -> Policy:
        return Policy(
            "A1", "individual", "C1", "n", "k", date(1980, 1, 1), state, code_hash, expires
        )

    today = date(2026, 11, 25)
    assert policy("issued", "h", date(2026, 11, 25)).code_usable(today)
    assert not policy("issued", "h", date(2026, 11, 24)).code_usable(today)
    assert not policy("masked", None, None).code_usable(today)
    assert not policy("used", "h", None).code_usable(today)
    assert not policy("expired", "h", None).code_usable(today)
