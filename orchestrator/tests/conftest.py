import os
import socket
from urllib.parse import urlsplit

import pytest

from tests.helpers import capturing

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _service_hosts() -> set[str]:
    """Hosts of the databases and brokers a CI pass points the suite at; everything else is off limits."""
    hosts = set()
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"):
        host = urlsplit(os.environ.get(name, "")).hostname
        if host:
            hosts.add(host)
    return hosts


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """The orchestrator tests never leave the machine: litellm may only reach the loopback fake."""
    allowed = LOOPBACK | _service_hosts()
    original = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in allowed and not host.startswith("127."):
                raise OSError(f"network access to {host} blocked in tests")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def orchestrator_log(caplog):
    """Records of the `orchestrator` logger, DEBUG and up."""
    with capturing(caplog, "orchestrator") as records:
        yield records
