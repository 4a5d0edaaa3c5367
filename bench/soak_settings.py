"""The production settings as ``bench/soak.py`` serves them on loopback: plain HTTP, so the session and CSRF
cookies cannot be marked Secure (a client does not send a Secure cookie over http://). Nothing else differs;
``SECURE_SSL_REDIRECT=false`` and the rest come from the environment like in production."""

from config.settings.production import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
