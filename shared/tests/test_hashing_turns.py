"""argon2id hashes take turns: a process runs at most as many at once as it has cores, because
more only share the cores and evict each other's 19 MiB from the cache (issue 19)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from claims_shared.passwords import HASHING_TURNS, hash_password, usable_cores, verify_password


def most_at_once(threads: int) -> int:
    """How many of `threads` held a turn at the same time, each holding it 50 ms."""
    running, most, lock = [0], [0], threading.Lock()

    def hashing() -> None:
        with HASHING_TURNS.turn():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    workers = [threading.Thread(target=hashing) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)
    assert not any(worker.is_alive() for worker in workers), "every waiting thread got a turn"
    return most[0]


@contextmanager
def pinned_to_one_core() -> Iterator[None]:
    """This thread, and the threads it starts meanwhile, on one core (as `taskset -c 0`)."""
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)


def test_a_process_on_one_core_hashes_one_password_at_a_time() -> None:
    with pinned_to_one_core():
        assert usable_cores() == 1
        assert most_at_once(threads=4) == 1


def test_a_process_hashes_as_many_at_once_as_it_has_cores() -> None:
    assert most_at_once(threads=usable_cores() + 2) == usable_cores()


def test_passwords_hashed_in_turns_still_verify() -> None:
    hashed: list[str] = []
    threads = [
        threading.Thread(target=lambda: hashed.append(hash_password("台風の日の合言葉 ２０２６")))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(hashed) == 3
    assert all(verify_password(h, "台風の日の合言葉 2026") for h in hashed), "full-width digits"
    assert not verify_password(hashed[0], "台風の日の合言葉 2025")
