"""When a claim reached each stage, how long it stayed in each, and the rule for the typical
figure (「通常◯日程度」) the progress indicator shows. Pure: read from the timeline the claim
document keeps (domain.evolve writes it), so the read model, the projection of stage durations
and the view of a claim as it was on a day all agree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import pairwise

from claim_status.domain import STAGES, UPDATE_KINDS, TimelineEntry
from claims_shared.events.claims import StageCode

SECONDS_A_DAY = 86400


def reached_at(
    timeline: Iterable[TimelineEntry], current: StageCode | None = None
) -> dict[StageCode, str]:
    """Each stage the timeline shows was reached, with the `at` of the first entry that reached
    it. A claim reopened moves back: what the claim reaches after claim_reopened is dated by
    the entry after the reopening (not by its first time), and 解決 is no longer reached. The
    timeline does not keep the stage a claim was reopened at: the `current` stage, when nothing
    reached it since the latest reopening, is the one it was reopened at, dated by the
    reopening (when the timeline does keep it, that stage is dated so and the stages after it
    are forgotten)."""
    reached: dict[StageCode, str] = {}
    reopened: set[StageCode] = set()  # reached before the latest reopening, not since
    reopened_at: str | None = None
    for entry in timeline:
        kind = UPDATE_KINDS.get(entry["type"])
        stage = None if kind is None else kind.reached_in(entry["data"])
        if entry["type"] == "claim_reopened":
            reached.pop("closed", None)
            if stage is not None:
                for later in STAGES[STAGES.index(stage) :]:
                    reached.pop(later, None)
            reopened, reopened_at = set(reached), entry["at"]
        if stage is not None and (stage not in reached or stage in reopened):
            reached[stage] = entry["at"]
            reopened.discard(stage)
    since_reopening = current in reached and current not in reopened
    if current is not None and reopened_at is not None and not since_reopening:
        reached[current] = reopened_at
    return reached


def stage_durations(timeline: Iterable[TimelineEntry]) -> dict[StageCode, float]:
    """Seconds a closed claim spent in each stage it reached: from the stage's date to the date
    of the next stage it reached (the last one's ends when the claim was closed). 解決 itself
    has no duration; a claim not closed has none at all."""
    reached = reached_at(timeline)
    if "closed" not in reached:
        return {}
    ordered = sorted(reached.items(), key=lambda item: (item[1], STAGES.index(item[0])))
    durations: dict[StageCode, float] = {}
    for (stage, since), (_, until) in pairwise(ordered):
        seconds = (datetime.fromisoformat(until) - datetime.fromisoformat(since)).total_seconds()
        durations[stage] = max(seconds, 0.0)
    return durations


def typical_days(median_seconds: float, claims: int, min_claims: int) -> int | None:
    """The typical time in a stage in whole days, or None when fewer than `min_claims` closed
    claims back it (a figure from a handful of claims would read as a promise). Less than half
    a day is shown as 1: 「通常0日程度」 tells the customer nothing."""
    if claims < min_claims or claims <= 0:
        return None
    return max(1, int(median_seconds / SECONDS_A_DAY + 0.5))  # half a day up, as people round
