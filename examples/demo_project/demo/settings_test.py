"""Settings for `manage.py test`: self-contained, no broker, no secrets."""
import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + "x1y2z3" * 10)
# Views under test deliberately answer 503/405; keep their log lines out of
# the test output (run with DJANGO_LOG_LEVEL=INFO to see them).
os.environ.setdefault("DJANGO_LOG_LEVEL", "CRITICAL")

from demo.settings import *  # noqa: E402,F401,F403  pylint: disable=wildcard-import,unused-wildcard-import

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {"timeout": 20},
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run in-process; the in-memory transport is never contacted for real.
CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
