"""E2E tier: the local stack (`python -m devstack`) as a subprocess on free ports, started once for
the session, driven with real HTTP (requests) and websocket (websockets) clients.

The session's stack closes idle websockets after a few seconds, so the idle timeout can be tested
without waiting API Gateway's ten minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import Stack

WS_IDLE_TIMEOUT = 4.0


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("devstack")
    running = Stack(data_dir, ["--fresh", "--ws-idle-timeout", str(WS_IDLE_TIMEOUT)]).start()
    yield running
    running.stop()
