"""Settings for the demo project; everything deploy-specific comes from the
environment (see README.md for the full list)."""
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from demo.envconf import env_bool, env_list, parse_database_url, release_id

BASE_DIR = Path(__file__).resolve().parent.parent

# Writable directory for runtime state (default SQLite file, beat schedule).
STATE_DIR = Path(os.environ.get("DJANGO_STATE_DIR") or BASE_DIR)

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "The DJANGO_SECRET_KEY environment variable is required when "
            "DJANGO_DEBUG is off."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

RELEASE_ID = release_id(BASE_DIR)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "core",
]

# Sessions/auth are lazy (no DB query unless request.user/session is touched)
# and CSRF only inspects unsafe methods, so the GET-only probe and benchmark
# views pay next to nothing for them.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# DEMO_SERVED_BY=1 adds an X-Served-By header naming the web host, so a test
# behind a load balancer can see which host answered. Off by default.
if env_bool("DEMO_SERVED_BY", default=False):
    MIDDLEWARE.insert(0, "core.middleware.served_by")

# DEMO_RECORDS_API=1 turns on /records/<key> (GET reads, POST writes a TaskRecord without a
# CSRF token): for tests of a fleet sharing one database. Off by default.
RECORDS_API = env_bool("DEMO_RECORDS_API", default=False)
# DEMO_UPLOADS_API=1 turns on /uploads/<name> (POST stores the body as an uploaded file through
# the default storage, GET reads it back): for tests of where uploads live. Off by default.
UPLOADS_API = env_bool("DEMO_UPLOADS_API", default=False)

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
# The websocket routes and Django's views (demo/asgi.py), for an ASGI server.
ASGI_APPLICATION = "demo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": parse_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite://{STATE_DIR / 'db.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or str(BASE_DIR / "staticfiles")

# --- HTTPS (TLS terminated by nginx, which sets X-Forwarded-Proto) ---------
SECURE_SSL = env_bool("DJANGO_SECURE_SSL", default=False)
if SECURE_SSL:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Local health probes (uWSGI socket / plain-HTTP checks) are not redirected.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: everything to stderr (systemd journal adds timestamps) ------
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s [%(process)d]: %(message)s"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
    },
}

# --- Celery (read by demo/celery.py through namespace "CELERY") -----------
CELERY_BROKER_URL = os.environ.get(
    "CELERY_BROKER_URL", "amqp://guest:guest@localhost:5672//"
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Results travel back over the broker as messages; no extra store needed.
CELERY_RESULT_BACKEND = "rpc://"
CELERY_RESULT_PERSISTENT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Survive broker restarts: durable queue + exchange, persistent messages.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# CELERY_QUEUE_TYPE=quorum declares the task queue as a quorum queue, replicated
# across the nodes of a RabbitMQ cluster (Celery then turns off global QoS).
CELERY_QUEUE_TYPE = os.environ.get("CELERY_QUEUE_TYPE", "classic")
if CELERY_QUEUE_TYPE not in ("classic", "quorum"):
    raise ImproperlyConfigured(
        f"CELERY_QUEUE_TYPE must be classic or quorum, not {CELERY_QUEUE_TYPE!r}"
    )
CELERY_TASK_QUEUES = (
    Queue(
        "celery",
        Exchange("celery", type="direct", durable=True),
        routing_key="celery",
        durable=True,
        queue_arguments=(
            {"x-queue-type": "quorum"} if CELERY_QUEUE_TYPE == "quorum" else None
        ),
    ),
)
if CELERY_QUEUE_TYPE == "quorum":
    # Publisher confirms: a task counts as sent once a majority stored it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
CELERY_TASK_DEFAULT_DELIVERY_MODE = "persistent"
# Survive worker crashes: ack after the task ran, requeue if the worker died.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "core.tasks.heartbeat",
        "schedule": 10.0,
        # A heartbeat nobody ran within a minute is stale; drop it rather
        # than letting a backlog pile up while the worker is down.
        "options": {"expires": 60},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(STATE_DIR / "celerybeat-schedule")
