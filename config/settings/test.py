from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests decide for themselves when a real worker runs; by default side effects run in-process.
CELERY_TASK_ALWAYS_EAGER = True
METRICS_ROLLUP_ON_VIEW = False
SLACK_WEBHOOK_URL = ""
TOUCHPOINT_WEBHOOK_SECRET = "test-touchpoint-secret-0123456789"
LANGUAGE_CODE = "en"
# Each test process counts throttles on its own; a shared Redis would leak counts between runs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
