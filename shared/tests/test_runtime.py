"""Operations see how long the garbage collector stops a service, and start-up objects are
kept out of its full collections."""

from __future__ import annotations

import gc

from prometheus_client import REGISTRY

from claims_shared.runtime import _on_collection, prepare_for_serving


def _full_collections() -> float:
    return REGISTRY.get_sample_value("python_gc_pause_seconds_count", {"generation": "2"}) or 0.0


def test_full_collections_are_timed_and_start_up_objects_are_frozen() -> None:
    before, thresholds = _full_collections(), gc.get_threshold()
    try:
        prepare_for_serving()
        frozen = gc.get_freeze_count()
        gc.collect()
        assert _full_collections() >= before + 2, "the start-up collection and this one"
        assert frozen > 1000, "modules, routes and schemas of this process"
        prepare_for_serving()
        assert gc.callbacks.count(_on_collection) == 1, "timed once, however often called"
        assert gc.get_threshold()[2] == 100
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(_on_collection)
        gc.unfreeze()


def test_a_batch_worth_of_objects_made_and_dropped_is_never_walked_by_the_collector() -> None:
    """An intake batch makes some tens of thousands of objects and drops them when it is done;
    at Python's default (700) the collector walked them a dozen times while they were alive."""
    thresholds = gc.get_threshold()
    try:
        prepare_for_serving()
        gc.collect()
        young_collections = gc.get_stats()[0]["collections"]
        batch = [{"sequence": n, "data": {"text": "メモ"}} for n in range(10_000)]  # 20,000
        del batch
        assert gc.get_stats()[0]["collections"] == young_collections
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(_on_collection)
        gc.unfreeze()
