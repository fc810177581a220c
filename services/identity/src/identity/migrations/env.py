"""Alembic's entry point for identity's history; the one way to run it is
claims_shared.migrations."""

from claims_shared.migrations import run_env

run_env()
