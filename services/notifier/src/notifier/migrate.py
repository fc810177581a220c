"""Operators' command for notifier's database schema (claims_shared.migrations).

python -m notifier.migrate [upgrade [REVISION]]   apply what is not applied yet (the default)
python -m notifier.migrate current | history | check
python -m notifier.migrate revision -m "what changes"   write the next revision, to fill in
"""

import sys

from claims_shared.migrations import main
from notifier.schema import SCHEMA
from notifier.settings import NotifierSettings

if __name__ == "__main__":
    sys.exit(main(SCHEMA, lambda: NotifierSettings().database_url))
