"""Operators' command for identity's database schema (claims_shared.migrations).

python -m identity.migrate [upgrade [REVISION]]   apply what is not applied yet (the default)
python -m identity.migrate current | history | check
python -m identity.migrate revision -m "what changes"   write the next revision, to fill in
"""

import sys

from claims_shared.migrations import main
from identity.schema import SCHEMA
from identity.settings import IdentitySettings

if __name__ == "__main__":
    sys.exit(main(SCHEMA, lambda: IdentitySettings().database_url))
