"""The embedded default used by `make run`: SQLite and a server-less Celery transport."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)

# `make run` serves static files straight from static/ and the apps (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# A webhook receiver on this machine (http://127.0.0.1/…) may be subscribed while developing.
SERVICEDESK = {  # noqa: F405
    **SERVICEDESK,  # noqa: F405
    "WEBHOOK_ALLOW_HTTP_LOOPBACK": env_bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", DEBUG),
}
