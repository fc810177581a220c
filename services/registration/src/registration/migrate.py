"""Operators' command for registration's database schema (claims_shared.migrations).

python -m registration.migrate [upgrade [REVISION]]   apply what is not applied yet (the default)
python -m registration.migrate current | history | check
python -m registration.migrate revision -m "what changes"   write the next revision, to fill in
"""

import sys

from claims_shared.migrations import main
from registration.schema import SCHEMA
from registration.settings import RegistrationSettings

if __name__ == "__main__":
    sys.exit(main(SCHEMA, lambda: RegistrationSettings().database_url))
