from claims_shared.service import serve
from notifier.main import build
from notifier.settings import NotifierSettings

serve(build, NotifierSettings())
