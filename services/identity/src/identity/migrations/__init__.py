"""identity's Alembic history: `python -m identity.migrate`, and every start
(claims_shared.migrations)."""
