from claims_shared.service import serve
from registration.main import build
from registration.settings import RegistrationSettings

serve(build, RegistrationSettings())
