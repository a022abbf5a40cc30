"""Where the data lives: the database (SQLite embedded, PostgreSQL with a pool) and the cache."""

from django.core.exceptions import ImproperlyConfigured

from config.env import VAR_DIR, env, first_set, int_alias, str_alias


def prepare_threshold(value: str | None) -> int | None:
    """DB_PREPARE_THRESHOLD: unset or blank 5, "off" None (nothing prepared), else a whole number >= 1."""
    if value is None:
        return 5
    if value.lower() == "off":
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise ImproperlyConfigured(f"DB_PREPARE_THRESHOLD must be a whole number of runs (>= 1) or off, not {value!r}.")


# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = str_alias("DATABASE_URL", "AI_MESSAGE_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock up front so two
    # processes never deadlock upgrading read locks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection pool per process (psycopg_pool): the threaded AI worker keeps many turns in
    # flight and hands its connection back during each LLM call (core.db.release_db_connection).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Every connection the pool hands out is checked first (one empty round trip), and the first
    # dead one replaces every idle connection at once (core.postgresql): a failover, a restart or
    # pg_terminate_backend ends them all together. psycopg_pool's own check (CONN_HEALTH_CHECKS)
    # stays off: it backs off 1 s, 2 s, 4 s... per dead connection. One that dies mid-request is the
    # caller's to retry (core.db.once_more_on_new_connection, used by the webhooks).
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int_alias("DB_POOL_MAX_SIZE", default=20),
        "timeout": 30,
    }
    # PostgreSQL parses, analyses and plans every statement it is sent as text. With the parameters
    # bound on the server, psycopg prepares a statement once a connection has run it
    # DB_PREPARE_THRESHOLD times, and PostgreSQL then reuses its plan: the pool keeps connections
    # for the process's life and the hot statements' SQL repeats exactly, so this cut PostgreSQL's
    # CPU per AI turn by 25–40 % (docs/PERFORMANCE.md). "off" is Django's default
    # (client-side binding, nothing prepared), for a transaction-mode pooler (PgBouncer), which
    # cannot keep a prepared statement on the server connection it hands to the next client.
    threshold = prepare_threshold(first_set("DB_PREPARE_THRESHOLD"))
    if threshold is not None:
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=threshold)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttles, sync throttle); Redis in production, a shared file cache embedded ------
REDIS_URL = env.str("REDIS_URL", default="").strip()
CACHE_URL = str_alias("CACHE_URL", default=REDIS_URL)
# Short socket timeouts: a Redis that is down or unreachable fails a cache call within a second,
# and its users fall back (core.cache; README "When a part is down") instead of stalling a request.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
