"""notifier's Alembic history: `python -m notifier.migrate`, and every start
(claims_shared.migrations)."""
