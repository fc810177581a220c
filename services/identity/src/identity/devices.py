"""The device a session was started on, worded from its User-Agent for the customer: the browser
and the platform only ("Chrome on Android", 「Android の Chrome」), never a version, an address or
a place, so the sessions page and the new-device mail tell a customer's own phone from a
stranger's without telling anyone where the customer was."""

from __future__ import annotations

import re
from dataclasses import dataclass

_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"\bEdg(e|A|iOS)?/", "Edge"),
    (r"\b(OPR|Opera)/", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\b(Firefox|FxiOS)/", "Firefox"),
    (r"\b(Chrome|CriOS|Chromium)/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
)
"""First match wins: Edge, Opera and Samsung's browser also say Chrome, and Chrome says Safari."""

_PLATFORMS: tuple[tuple[str, str], ...] = (
    (r"\bAndroid\b", "Android"),
    (r"\biPhone\b", "iPhone"),
    (r"\biPad\b", "iPad"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bWindows\b", "Windows"),
    (r"\bMacintosh\b|\bMac OS X\b", "Mac"),
    (r"\bLinux\b", "Linux"),
)


@dataclass(frozen=True)
class Device:
    """Browser and platform as named above; "" where the User-Agent named none of them."""

    browser: str
    platform: str

    def worded(self, language: str = "en") -> str:
        browser = self.browser or ("ブラウザ" if language == "ja" else "A browser")
        if not self.platform:
            return browser
        if language == "ja":
            return f"{self.platform} の {browser}"
        return f"{browser} on {self.platform}"


def device_from_user_agent(user_agent: str) -> Device:
    return Device(_first(_BROWSERS, user_agent), _first(_PLATFORMS, user_agent))


def _first(patterns: tuple[tuple[str, str], ...], user_agent: str) -> str:
    return next((name for pattern, name in patterns if re.search(pattern, user_agent)), "")
