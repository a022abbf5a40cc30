from django.db import connection


def release_db_connection() -> None:
    """Hand this thread's database connection back before a long network wait (an LLM call).

    The AI worker keeps many turns in flight on threads; without this each would hold a connection
    for the whole call and exhaust the server's limit. With the PostgreSQL pool, `close()` returns the
    connection to the pool. Inside a transaction it does nothing: no network call runs inside one
    (CONTRACT §9.1 point 3), and tests wrap each test in one."""
    if not connection.in_atomic_block:
        connection.close()
