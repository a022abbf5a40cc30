"""Django's PostgreSQL backend, with a pool that recovers from a failover in one step.

psycopg_pool checks a connection before handing it out, but after each dead one it waits longer
before trying the next (0 s, 1 s, 2 s, 4 s...). A failover, a restart or a `pg_terminate_backend`
sweep ends every idle connection at once, so a pool holding a handful of them stalled the next
request for seconds, past the pool's timeout with eight. Here the first dead connection sweeps the
whole pool (`ConnectionPool.check`, which replaces the dead ones in the background) and the request
takes a live or a new connection without waiting.
"""

from __future__ import annotations

import psycopg
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        pool = self.pool
        connection = super().get_new_connection(conn_params)
        if pool is None:
            return connection
        # Bounded: a sweep leaves only live or new connections, but a connection that died in
        # another thread's hands may come back to the pool in between.
        for _ in range(pool.max_size):
            try:
                pool.check_connection(connection)
            except psycopg.Error:
                pool.putconn(connection)  # broken: the pool discards it
                pool.check()
                connection = super().get_new_connection(conn_params)
            else:
                return connection
        pool.check_connection(connection)  # a database that kills every connection: its error
        return connection
