from claims_shared.service import serve
from identity.main import build
from identity.settings import IdentitySettings

serve(build, IdentitySettings())
