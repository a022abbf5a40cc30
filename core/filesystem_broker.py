"""The embedded broker (`filesystem://`, the default without Redis): kombu's filesystem transport,
with every message file and exchange table whole before another process can read it.

kombu creates a message's file and then writes it. A worker that polled the folder in between
took the empty file, failed to parse it and stopped ("Unrecoverable error"), and the message
went with it. Here a message is written under a name no poll matches and renamed into place: a
rename within one folder is atomic, so a poll finds the whole message or nothing.
"""

import contextlib
import logging
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".part"  # a poll only takes names ending in ".<queue>.msg"


class Channel(filesystem.Channel):
    def _queue_bind(self, exchange, routing_key, pattern, queue):
        # kombu creates a missing exchange table and then writes it, so a process reading it in
        # between (a publish looking up its queue, a worker binding at start-up) parsed an empty
        # file. The table is made whole first ("[]"); kombu then extends it under its lock.
        self._table_create(self._exchange_file(exchange))
        super()._queue_bind(exchange, routing_key, pattern, queue)

    def _table_create(self, file):
        if file.exists():
            return
        self.control_folder.mkdir(exist_ok=True)
        partial = file.with_name(f"{file.name}.{uuid.uuid4()}{PARTIAL_SUFFIX}")
        try:
            partial.write_bytes(b"[]")
            try:
                os.link(partial, file)  # never replaces a table another process made meanwhile
            except FileExistsError:
                pass
            except OSError:  # a filesystem without hard links
                if not file.exists():
                    os.replace(partial, file)
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc
        finally:
            with contextlib.suppress(OSError):
                partial.unlink()

    def _put(self, queue, payload, **kwargs):  # kombu's filesystem signature
        # kombu's own name: the creation time first, so a poll takes the oldest message first.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        partial = path + PARTIAL_SUFFIX
        body = str_to_bytes(dumps(payload))  # before any file: a payload that fails leaves none
        try:
            with open(partial, "wb") as file:
                file.write(body)
            os.replace(partial, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc

    def _get(self, queue, timeout=None):
        try:
            return super()._get(queue)
        except ValueError:
            # A file that is not a whole message (left by a release before this one, or cut short
            # by a full disk) would stop every worker that polls it, at each start. Its work is not
            # lost: the rows it stood for are re-enqueued by the beat sweepers.
            logger.error("A message file of queue %s could not be parsed; it was dropped", queue)
            raise Empty() from None


class Transport(filesystem.Transport):
    Channel = Channel
