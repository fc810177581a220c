"""The operators' DLQ tool on a real case: an adjuster update waited for a sequence that never
came and went to the DLQ; once the missing update is sent, replaying puts the stranded one in
place, and replaying again changes nothing."""

from __future__ import annotations

import subprocess

from claim_status_harness import ClaimLog, ClaimStatusService, opened
from devinfra.testing import eventually


def dlq_tool(claim_status: ClaimStatusService, *arguments: str) -> subprocess.CompletedProcess[str]:
    return claim_status.operator_command("claims_shared.dlq", *arguments, check=True)


async def test_list_show_and_replay_after_the_fix_once(claim_status: ClaimStatusService) -> None:
    clock, log = claim_status.clock, ClaimLog()
    await claim_status.send(opened(log, clock, "C-DLQ"))
    missing = log.next("handler_assigned", clock, name="佐藤", office="東京", phone="03-0000-0000")
    stranded = log.next("note_added", clock, text="レッカー移動済み")
    await claim_status.strand(stranded)

    async def dead_lettered() -> str | None:
        listed = dlq_tool(claim_status, "list", "claims.adjuster-updates").stdout
        return listed if str(stranded.update_id) in listed else None

    listed = await eventually(dead_lettered)
    assert "an earlier update never arrived (the claim waits for sequence 2)" in listed
    position = next(line for line in listed.splitlines() if str(stranded.update_id) in line)
    shown = dlq_tool(claim_status, "show", "claims.adjuster-updates", position.split("\t")[0])
    assert "レッカー移動済み" in shown.stdout

    await claim_status.send(missing)  # the fix: the adjusters' system sends what was missing
    await claim_status.accident_at("C-DLQ", log.claim_id, 2)
    first = dlq_tool(claim_status, "replay", "claims.adjuster-updates")
    assert str(stranded.update_id) in first.stdout
    detail = await claim_status.accident_at("C-DLQ", log.claim_id, 3)
    assert detail["timeline"][0]["text"] == "レッカー移動済み"

    again = dlq_tool(claim_status, "replay", "claims.adjuster-updates")
    assert "0 message(s) replayed" in again.stderr
    forced = dlq_tool(
        claim_status, "replay", "claims.adjuster-updates", "--only", position.split("\t")[0]
    )
    assert "1 message(s) replayed" in forced.stderr
    await claim_status.send(log.next("note_added", clock, text="最後"))
    final = await claim_status.accident_at("C-DLQ", log.claim_id, 4)
    assert len(final["timeline"]) == 4, "the twice-replayed update was applied once"
