"""How Japanese customers type what the registration forms ask, and how it is folded before it is
compared: full-width digits and letters, hyphens (and the long-vowel mark people type for one) in
policy numbers, spaces of either width in names, hiragana for a katakana reading, and dates
written the ISO way, with slashes, with 年月日, or in a Japanese era (昭和55年5月17日, S55.5.17)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_DASHES = re.compile(r"[\s\-‐‑‒–—―−ーｰ－]")
_ERAS = {
    "明治": 1868,
    "大正": 1912,
    "昭和": 1926,
    "平成": 1989,
    "令和": 2019,
    "M": 1868,
    "T": 1912,
    "S": 1926,
    "H": 1989,
    "R": 2019,
}
_ERA_DATE = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{1,2})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*"
    r"(\d{1,2})\s*日?$"
)
_WESTERN_DATE = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class UnreadableDate(ValueError):
    pass


def policy_number(typed: str) -> str:
    """'ａ１２３－４５６' and 'A123-456 ' are one policy number: A123456."""
    return _DASHES.sub("", unicodedata.normalize("NFKC", typed)).upper()


def _katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def name_key(typed: str) -> str:
    """「山田　太郎」, 「山田 太郎」 and 「山田太郎」 fold to one key; a reading typed in hiragana
    folds to katakana; Latin letters ignore case."""
    folded = unicodedata.normalize("NFKC", typed).casefold()
    return _katakana("".join(folded.split()))


def birth_date(typed: str) -> date:
    text = unicodedata.normalize("NFKC", typed).strip().upper()
    if match := _ERA_DATE.match(text):
        era, year, month, day = match.groups()
        number = 1 if year == "元" else int(year)
        return _date(_ERAS[era] + number - 1, int(month), int(day))
    for pattern in (_WESTERN_DATE, _COMPACT_DATE):
        if match := pattern.match(text):
            year, month, day = (int(g) for g in match.groups())
            return _date(year, month, day)
    raise UnreadableDate(typed)


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as error:
        raise UnreadableDate(f"{year}-{month}-{day}") from error
