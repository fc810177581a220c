"""claim-status's Alembic history: `python -m claim_status.migrate`, and every start that may
write (claims_shared.migrations; a read-only instance on a replica runs none)."""
