"""casework settings: every value comes from the environment (see README, Configuration).

Development (CASEWORK_DEBUG=1) generates its secrets once into a git-ignored file.
Production (the default) refuses to start without them, with a plain message.
"""

import base64
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_SECRETS_FILE = BASE_DIR / ".local-secrets.json"


def env_str(name, default=None):
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name, default=False):
    value = env_str(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}.")


def env_int(name, default):
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name, default=()):
    value = env_str(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def _new_field_key():
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _is_field_key(text):
    try:
        return len(base64.urlsafe_b64decode(text.strip().encode())) == 32
    except ValueError:  # binascii.Error is a ValueError
        return False


def _local_secrets():
    """Secrets for development only, made once and kept out of git. A secret added in a
    later version is made and added to an existing file the first time it is asked for."""
    makers = {
        "CASEWORK_SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "CASEWORK_FIELD_KEYS": _new_field_key,
        "CASEWORK_INDEX_KEY": lambda: secrets.token_urlsafe(32),
        "CASEWORK_AUDIT_CHAIN_KEY": lambda: secrets.token_urlsafe(32),
    }
    values = json.loads(LOCAL_SECRETS_FILE.read_text()) if LOCAL_SECRETS_FILE.exists() else {}
    missing = {name: make() for name, make in makers.items() if name not in values}
    if missing:
        values.update(missing)
        LOCAL_SECRETS_FILE.write_text(json.dumps(values, indent=2))
        LOCAL_SECRETS_FILE.chmod(0o600)
    return values


def required_secret(name, min_length):
    value = env_str(name)
    if value is None and DEBUG:
        value = _local_secrets()[name]
    if value is None:
        raise ImproperlyConfigured(
            f"{name} is not set. casework will not start in production without it; "
            f"see README.md, Configuration. (For local development set CASEWORK_DEBUG=1.)"
        )
    if len(value) < min_length:
        raise ImproperlyConfigured(f"{name} is too short: use at least {min_length} random characters.")
    # The same test as Django's deploy check (security.W009): a long run of a few characters is no secret.
    if len(set(value)) < 5 or value.startswith("django-insecure-"):
        raise ImproperlyConfigured(f"{name} is not random enough: use {min_length} or more random characters.")
    return value


DEBUG = env_bool("CASEWORK_DEBUG", False)
SECRET_KEY = required_secret("CASEWORK_SECRET_KEY", 50)
# Identity-field encryption keys (newest first) and the blind-index/IP-hash key.
# Never derived from SECRET_KEY, so that rotating one never touches the other.
FIELD_KEYS = required_secret("CASEWORK_FIELD_KEYS", 32).split(",")
INDEX_KEY = required_secret("CASEWORK_INDEX_KEY", 32)
for _position, _key in enumerate(FIELD_KEYS, start=1):
    if not _is_field_key(_key):
        raise ImproperlyConfigured(
            f"Key {_position} of CASEWORK_FIELD_KEYS is not 32 random bytes in URL-safe base64; "
            "make one with: python manage.py field_key_new"
        )
# Ed25519 keys for signed audit checkpoints (casework.audit.checkpoint): the signing key
# only where checkpoints are made, the public key wherever they are checked.
AUDIT_SIGNING_KEY = env_str("CASEWORK_AUDIT_SIGNING_KEY")
# The HMAC key of the audit chain (casework.audit.chain), never in the database: whoever can
# write to the database but does not hold it cannot rewrite an entry and recompute the chain.
# After a rotation the old keys stay here, comma-separated, to verify their older segments.
AUDIT_CHAIN_KEY = required_secret("CASEWORK_AUDIT_CHAIN_KEY", 32)
AUDIT_CHAIN_RETIRED_KEYS = env_list("CASEWORK_AUDIT_CHAIN_RETIRED_KEYS")
# Entries up to this seq were written before the chain was keyed (plain SHA-256); 0 on a
# trail that was keyed from its first entry, so any unkeyed entry is a forgery.
AUDIT_CHAIN_UNKEYED_UNTIL = env_int("CASEWORK_AUDIT_CHAIN_UNKEYED_UNTIL", 0)
# /audit/ warns when the last run of audit_verify is older than this: the schedule stopped.
AUDIT_VERIFY_MAX_AGE_HOURS = env_int("CASEWORK_AUDIT_VERIFY_MAX_AGE_HOURS", 36)
AUDIT_PUBLIC_KEY = env_str("CASEWORK_AUDIT_PUBLIC_KEY")
# Revealing or writing an identity needs a second factor proved within this many seconds.
STEP_UP_SECONDS = 300
# Reveals outside these local hours (start, end) are flagged to supervisors.
WORKING_HOURS = (env_int("CASEWORK_WORKING_HOURS_START", 7), env_int("CASEWORK_WORKING_HOURS_END", 20))
# Audit review flags (casework.audit.flags): more than this many distinct cases opened, or
# refusals, by one person within one clock hour.
AUDIT_FLAG_CASES_PER_HOUR = env_int("CASEWORK_AUDIT_FLAG_CASES_PER_HOUR", 15)
AUDIT_FLAG_DENIALS_PER_HOUR = env_int("CASEWORK_AUDIT_FLAG_DENIALS_PER_HOUR", 10)
# More than this many identity writes by one person within sixty minutes: fishing for duplicates?
AUDIT_FLAG_IDENTITY_WRITES_PER_HOUR = env_int("CASEWORK_AUDIT_FLAG_IDENTITY_WRITES_PER_HOUR", 4)
# Backups (casework.backup): encrypted to this X25519 public key (its private half kept
# offline), written to this directory; key-store backups older than this many days removed.
BACKUP_PUBLIC_KEY = env_str("CASEWORK_BACKUP_PUBLIC_KEY")
BACKUP_DIR = Path(env_str("CASEWORK_BACKUP_DIR", str(BASE_DIR / "backups")))
BACKUP_KEYS_DAYS = env_int("CASEWORK_BACKUP_KEYS_DAYS", 7)
# Reports and exports (casework.reports): a count below this shows as "fewer than N", and a
# row of the row-level export whose profile fewer cases share is generalised or left out.
REPORT_MIN_COUNT = env_int("CASEWORK_REPORT_MIN_COUNT", 5)
if REPORT_MIN_COUNT < 2:
    raise ImproperlyConfigured("CASEWORK_REPORT_MIN_COUNT must be 2 or more: 1 would show every single case.")

ALLOWED_HOSTS = env_list("CASEWORK_ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "CASEWORK_ALLOWED_HOSTS is not set: give the comma-separated host names this server answers to."
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "auditlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "casework.access",
    "casework.cases",
    "casework.audit",
    "casework.accounts",
    "casework.identity",
    "casework.partners",
    "casework.keystore",
    "casework.retention",
    "casework.reports",
    "casework.backup",
    "casework.demo",
]

MIDDLEWARE = [
    # At the top, so that every response gets them, redirects and static files included:
    # above SecurityMiddleware too, whose plain-HTTP redirect answers before anything below it.
    "csp.middleware.CSPMiddleware",
    "casework.accounts.headers.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "casework.keystore.middleware.ForgetKeysMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "casework.accounts.sessions.SessionLimitsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "casework.accounts.middleware.SecondFactorMiddleware",
    "casework.web.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before the audit context's view call (which must come last), inside its context.
    "casework.accounts.middleware.EmptiedWorkspaceMiddleware",
    "casework.audit.middleware.AuditContextMiddleware",
    "casework.accounts.middleware.NoStoreMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the request into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casework.urls"
WSGI_APPLICATION = "casework.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casework.context_processors.today",
                "casework.context_processors.audit_review",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CASEWORK_DB_CONN_MAX_AGE", 0),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: every page reads a few dozen rows, but PostgreSQL costs a per-row EXISTS (the
    # audit trail's scope, casework.audit.review) as if it ran on every row, passes the JIT
    # threshold and spends seconds compiling a query that reads in milliseconds.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# The key store (casework.keystore): every case's own key, in a database of its own, so that
# a backup of the main database holds none. Back it up apart, and keep its backups briefly:
# an erased case stays readable in every backup of the store that still holds its key.
DATABASES["keystore"] = dj_database_url.parse(
    env_str("CASEWORK_KEYSTORE_URL", f"sqlite:///{BASE_DIR / 'keystore.sqlite3'}"),
    conn_max_age=env_int("CASEWORK_DB_CONN_MAX_AGE", 0),
)
if DATABASES["keystore"]["ENGINE"] == "django.db.backends.sqlite3":
    # A destroyed key is overwritten in the file, not left in a free page.
    DATABASES["keystore"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA secure_delete = ON;"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA secure_delete = ON;"
DATABASE_ROUTERS = ["casework.keystore.router.KeystoreRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses every attempt, right password or not, while a username or address is locked out.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the user of each request with her membership.
    "casework.accounts.backends.MembershipModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Object permissions are read only through Case.objects.restrict(); guardian is the
# store. No anonymous user, no superuser or global-permission shortcuts anywhere.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

PASSWORD_HASHERS = [
    # Argon2 for every new or changed password; the others only verify older hashes (and upgrade them).
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
# Second factor: TOTP codes from an authenticator app, recovery codes as the fallback.
OTP_TOTP_ISSUER = "casework"
OTP_TOTP_THROTTLE_FACTOR = 1  # each failed code doubles the wait before the next try
OTP_STATIC_THROTTLE_FACTOR = 1
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Lockout (django-axes): after CASEWORK_LOCKOUT_FAILURES failed sign-ins for one username, or from one
# address, every attempt (even with the right password) is refused for CASEWORK_LOCKOUT_MINUTES, and each
# refused try starts the wait again. The counters live in a database cache table under hashed keys: axes
# is given keyed hashes of the address and of the username, never the address or the typed name, and
# writes no access log, so no IP address or user agent reaches the database.
CASEWORK_LOCKOUT_FAILURES = env_int("CASEWORK_LOCKOUT_FAILURES", 5)
CASEWORK_LOCKOUT_MINUTES = env_int("CASEWORK_LOCKOUT_MINUTES", 15)
AXES_FAILURE_LIMIT = CASEWORK_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=CASEWORK_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "lockout"
AXES_CLIENT_IP_CALLABLE = "casework.accounts.lockout.address_key"
AXES_USERNAME_CALLABLE = "casework.accounts.lockout.username_key"
AXES_LOCKOUT_CALLABLE = "casework.accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False  # its log lines name only masked parameters
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "user_agent"]
AXES_ENABLE_ADMIN = False
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Shared by every server process, as a lockout counter must be; made by `createcachetable`.
    "lockout": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "casework_lockout_cache"},
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("CASEWORK_SESSION_MAX_AGE", 12 * 60 * 60)
# Enforced on the server by casework.accounts.sessions.SessionLimitsMiddleware: a session ends after
# this many minutes without a request, and SESSION_COOKIE_AGE seconds after signing in, whatever happens.
CASEWORK_SESSION_IDLE_MINUTES = env_int("CASEWORK_SESSION_IDLE_MINUTES", 30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Strict"

# Audit: our own entry model; no raw IP ever stored (we keep a keyed hash instead).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_DISABLE_REMOTE_ADDR = True
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_MASK_CALLABLE = "casework.audit.registry.redact"
# The correlation id is made by the server for each request (AuditContextMiddleware); a
# client's X-Correlation-ID header could carry anything, a name included, into the trail.
AUDITLOG_CID_GETTER = "casework.audit.models.request_cid"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in words in every language, times in 24 hours (casework/formats/).
FORMAT_MODULE_PATH = ["casework.formats"]
# Dates due and overdue are counted in this zone (for example Asia/Seoul).
TIME_ZONE = env_str("CASEWORK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic gathers the static files, which whitenoise serves from there.
STATIC_ROOT = Path(env_str("CASEWORK_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Not "no-referrer": with it, browsers send "Origin: null" on our own form posts and
# Django's CSRF origin check refuses every login. "same-origin" still sends nothing to
# any other host, which is what protects case codes in URLs.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Permissions-Policy, X-Robots-Tag and Cross-Origin-Resource-Policy: casework.accounts.headers.
# Everything from our own origin, nothing inline (no <script> bodies, no style attributes),
# no plugins, no <base>, no framing; forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    }
}
# A form that expired on the quick-exit button still leaves: see casework.accounts.exit.
CSRF_FAILURE_VIEW = "casework.accounts.exit.csrf_failure"
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads it; forms carry the token
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
if env_bool("CASEWORK_TLS_PROXY", False):
    # Only behind a proxy that terminates TLS and always sets this header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    # __Host- cookies: the browser accepts them only with Secure, Path=/ and no Domain, so
    # neither plain HTTP nor a sibling subdomain can set or overwrite them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    # On by default; off (CASEWORK_SSL_REDIRECT=0) only where the proxy itself redirects to HTTPS.
    SECURE_SSL_REDIRECT = env_bool("CASEWORK_SSL_REDIRECT", True)
    # The health check answers over plain HTTP too: a monitor on the server itself asks it directly.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("CASEWORK_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_paths": {"()": "casework.logging.RedactPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_paths"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.request": {"handlers": ["console"], "filters": ["redact_paths"], "propagate": False},
        "django.server": {"handlers": ["console"], "filters": ["redact_paths"], "level": "INFO", "propagate": False},
    },
}
