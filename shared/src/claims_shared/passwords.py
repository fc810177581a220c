"""Passwords, one way for every service: argon2id hashing at or above OWASP's floor, the choice
rules of NIST SP 800-63B / OWASP ASVS 5.0 V6, temporary passwords, and sealing a temporary password
so that only the notifier can read it.

Hashing costs about 20 ms of one core: call `hash_password`/`verify_password` from a worker thread
(asyncio.to_thread), never on the event loop. A process runs at most as many hashes at once as it
has cores (`HASHING_TURNS`); the other worker threads wait for a turn without spending CPU.
"""

from __future__ import annotations

import base64
import math
import os
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from nacl.public import PrivateKey, PublicKey, SealedBox

from claims_shared.errors import Message, RefusalFrom

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 at minimum.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_LENGTH = 8
MAX_LENGTH = 128  # long passphrases welcome; the cap only stops hashing megabytes
TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # no 0/O, 1/l/I


def normalise(password: str) -> str:
    """NFKC, so a password typed with full-width characters on one device matches the half-width
    one typed on another (NIST 800-63B 5.1.1.2 recommends normalising Unicode)."""
    return unicodedata.normalize("NFKC", password)


CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
"""cgroup v2's CPU quota ("200000 100000": two cores' worth; "max": none), a container's limit."""


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (taskset, a pinned pod), capped by
    its container's CPU quota (a Kubernetes limit leaves the affinity at the node's size)."""
    return min(len(os.sched_getaffinity(0)), _quota_cores())


@lru_cache(maxsize=1)
def _quota_cores() -> int:
    """Read once: a container's quota is set when it starts (reading the file at every hash
    was 3 % of a log-in's Python time)."""
    try:
        quota, period = CGROUP_CPU_MAX.read_text().split()
        if quota != "max":
            return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return os.cpu_count() or 1


class HashingTurns:
    """At most `usable_cores()` argon2id hashes at once in this process. Each needs 19 MiB of
    memory it walks over and over: more hashes than cores only take turns on the cores, and
    each turn finds its memory evicted from the cache by the others' (eight at once on one core
    cost 22.4 ms a hash instead of 19, issue 19), and a pod holds 19 MiB per hash waiting.
    A thread waiting for its turn sleeps; the cores are read at each turn, so a process pinned
    after it started (taskset -p) takes the new count."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._running < usable_cores())
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify()


HASHING_TURNS = HashingTurns()


def hash_password(password: str) -> str:
    with HASHING_TURNS.turn():
        return HASHER.hash(normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with HASHING_TURNS.turn():
            return HASHER.verify(password_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def spend_equal_time(password: str) -> None:
    """Verify against a throw-away hash, so an unknown account costs what a real one does."""
    verify_password(_dummy_hash(), password)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (the list zxcvbn ships), lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


@dataclass(frozen=True)
class PasswordRefusal:
    code: str
    message: Message


TOO_SHORT = PasswordRefusal(
    "password_too_short",
    Message(
        f"パスワードは{MIN_LENGTH}文字以上にしてください。",
        f"Use at least {MIN_LENGTH} characters.",
    ),
)
TOO_LONG = PasswordRefusal(
    "password_too_long",
    Message(
        f"パスワードは{MAX_LENGTH}文字以内にしてください。", f"Use at most {MAX_LENGTH} characters."
    ),
)
SAME_AS_EMAIL = PasswordRefusal(
    "password_same_as_email",
    Message(
        "メールアドレスと同じパスワードは使えません。",
        "The password must not be your email address.",
    ),
)
SAME_AS_CURRENT = PasswordRefusal(
    "password_unchanged",
    Message(
        "現在のパスワードと異なるパスワードにしてください。",
        "Choose a password different from your current one.",
    ),
)
TOO_COMMON = PasswordRefusal(
    "password_too_common",
    Message(
        "よく使われていて推測されやすいパスワードです。別のパスワードにしてください。",
        "This password is too common and easy to guess. Please choose another.",
    ),
)


class PasswordRefused(Exception):
    """A new password breaks a rule; the refusal says which, in both languages."""

    def __init__(self, refusal: PasswordRefusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


def _refusal_words(error: PasswordRefused) -> tuple[str, Message]:
    return error.refusal.code, error.refusal.message


PASSWORD_REFUSED = RefusalFrom[PasswordRefused](
    422,
    ", ".join(
        f"`{r.code}`" for r in (TOO_SHORT, TOO_LONG, SAME_AS_EMAIL, SAME_AS_CURRENT, TOO_COMMON)
    )
    + ": the new password breaks that rule",
    _refusal_words,
)
"""The row of an API's ErrorTable for PasswordRefused: 422 with the broken rule's own code."""


def refuse_password(
    password: str, *, email: str, current: str | None = None
) -> PasswordRefusal | None:
    """Why `password` may not be chosen, or None when it may. No composition rules (NIST):
    any Unicode, spaces included; length counted in characters after normalisation."""
    candidate = normalise(password)
    if len(candidate) < MIN_LENGTH:
        return TOO_SHORT
    if len(candidate) > MAX_LENGTH:
        return TOO_LONG
    folded = candidate.casefold()
    if folded == normalise(email).casefold():
        return SAME_AS_EMAIL
    if current is not None and candidate == normalise(current):
        return SAME_AS_CURRENT
    if folded in _common_passwords():
        return TOO_COMMON
    return None


def temporary_password(length: int = 12) -> str:
    """Random, readable on paper and in mail (no look-alike characters); ~70 bits at 12."""
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(length))


def seal_for_notifier(secret: str, notifier_public_key_b64: str) -> str:
    """libsodium sealed box to the notifier's public key, base64: topics and logs never hold the
    temporary password readable, and only the notifier's private key opens it."""
    public_key = PublicKey(base64.b64decode(notifier_public_key_b64))
    return base64.b64encode(SealedBox(public_key).encrypt(secret.encode())).decode()


def open_sealed(sealed_b64: str, private_key_b64: str) -> str:
    """The notifier's side of `seal_for_notifier`."""
    private_key = PrivateKey(base64.b64decode(private_key_b64))
    return SealedBox(private_key).decrypt(base64.b64decode(sealed_b64)).decode()
