"""The JSON Schemas published for the builders of the systems that write to our inbound topics
or read claims.customer-submissions (docs/contracts/), generated from the very models the
consumers validate with, so the two cannot drift: `python -m claims_shared.events.contracts`
writes them, and a test fails when the files and the models differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from claims_shared.events.catalogue import envelope_type
from claims_shared.events.claims import AdjusterUpdate
from claims_shared.events.policy import PolicyRecorded
from claims_shared.events.submissions import CustomerMessagePosted, DocumentSubmitted

CONTRACTS = {
    "adjuster-update.schema.json": (
        AdjusterUpdate,
        "An adjuster update on claims.adjuster-updates (key: the claim id). The message value is"
        " this envelope; `data.type` says which update it is, and `data.data` has that type's"
        " fields. Updates of one claim carry sequence 1, 2, 3, ... An update that does not"
        " match goes to claims.adjuster-updates.dlq with the reason. Rules beyond this schema:"
        " occurred_at at most 5 minutes ahead of our clock; accident_date not after the"
        " update's occurred_at (a day's grace) nor before 2000-01-01; paid_on not after the"
        " update's occurred_at (a day's grace); completed_on not after the update's occurred_at"
        " (a day's grace); document_reviewed with result resubmit has its reason; the message"
        " key is the claim_id; the Claim's rules between updates (stages move forward, one"
        " payment id once, one message_id once, a payment's breakdown lines sum to its amount,"
        " payment_deadline_extended only after claim_completed and for a coverage only one the"
        " claim names, nothing but claim_reopened, note_added or customer_messages_read after"
        " claim_closed); an update_id never reused"
        " for other content. document_reviewed names a DocumentSubmitted's document_id,"
        " customer_messages_read a CustomerMessagePosted's message_id.",
    ),
    "document-submitted.schema.json": (
        DocumentSubmitted,
        "A document or photo a customer uploaded for their claim, on"
        " claims.customer-submissions (key: the claim id), published by claim-status once it was"
        " scanned clean and stored. The bytes are not on Kafka: GET download_path on"
        " claim-status's API with a staff token of role adjuster. Answer with an adjuster update"
        " of type document_reviewed.",
    ),
    "customer-message-posted.schema.json": (
        CustomerMessagePosted,
        "A message a customer wrote on their claim's thread, on claims.customer-submissions"
        " (key: the claim id): plain text after NFKC, never HTML. Answer with an adjuster update"
        " of type message_to_customer; mark it read with customer_messages_read.",
    ),
    "policy-record.schema.json": (
        PolicyRecorded,
        "A policy as the policy administration system records it, on policy.records (key: the"
        " policy number). A record that does not match goes to policy.records.dlq with the reason."
        " Rules beyond this schema: an issued procedure code has its hash; valid_to is not"
        " before valid_from; date_of_birth between 1900-01-01 and today.",
    ),
}


def schema_of(event: type[Any], description: str) -> dict[str, Any]:
    schema = TypeAdapter(envelope_type(event.event_type, event.schema_version)).json_schema()
    # The envelope is generic; this contract's envelope names one type and version.
    schema["properties"]["event_type"] = {"const": event.event_type}
    schema["properties"]["schema_version"] = {"const": event.schema_version}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{event.event_type} v{event.schema_version}",
        "description": description,
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


def rendered() -> dict[str, str]:
    return {
        name: json.dumps(schema_of(event, description), ensure_ascii=False, indent=2) + "\n"
        for name, (event, description) in CONTRACTS.items()
    }


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/contracts")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (folder / name).write_text(text, encoding="utf-8")
        print(folder / name)


if __name__ == "__main__":
    main()
