"""registration's Alembic history: `python -m registration.migrate`, and every start
(claims_shared.migrations)."""
