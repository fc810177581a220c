"""Kafka topic names (v1). A consumer's unprocessable messages go to `dlq(topic)`."""

POLICY_RECORDS = "policy.records"
REGISTRATION_EVENTS = "registration.events"
IDENTITY_EVENTS = "identity.events"
ADJUSTER_UPDATES = "claims.adjuster-updates"
CLAIM_STATUS_EVENTS = "claims.status-events"
CUSTOMER_SUBMISSIONS = "claims.customer-submissions"

ALL = (
    POLICY_RECORDS,
    REGISTRATION_EVENTS,
    IDENTITY_EVENTS,
    ADJUSTER_UPDATES,
    CLAIM_STATUS_EVENTS,
    CUSTOMER_SUBMISSIONS,
)


def dlq(topic: str) -> str:
    return f"{topic}.dlq"
