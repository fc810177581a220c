from claims_shared.service import serve
from claim_status.main import build
from claim_status.settings import ClaimStatusSettings

serve(build, ClaimStatusSettings())
