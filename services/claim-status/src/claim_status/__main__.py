from claim_status.main import build
from claim_status.settings import ClaimStatusSettings
from claims_shared.service import serve

serve(build, ClaimStatusSettings())
