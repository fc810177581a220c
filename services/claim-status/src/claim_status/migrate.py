"""Operators' command for claim-status's database schema (claims_shared.migrations).

python -m claim_status.migrate [upgrade [REVISION]]   apply what is not applied yet (the default)
python -m claim_status.migrate current | history | check
python -m claim_status.migrate revision -m "what changes"   write the next revision, to fill in
"""

import sys

from claim_status.schema import SCHEMA
from claim_status.settings import ClaimStatusSettings
from claims_shared.migrations import main

if __name__ == "__main__":
    sys.exit(main(SCHEMA, lambda: ClaimStatusSettings().database_url))
