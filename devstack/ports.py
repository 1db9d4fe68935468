"""Port checks: refuse to start, naming the port, when something already listens there."""

from __future__ import annotations

import errno
import socket
import time

from devstack.config import HOST


class PortInUse(RuntimeError):
    pass


def ensure_free(ports: dict[str, int]) -> None:
    """Raise PortInUse naming every taken port (and what we wanted it for)."""
    taken = [f"{port} (for {what})" for what, port in ports.items() if not _bindable(port)]
    if len(set(ports.values())) != len(ports):
        raise PortInUse(f"two parts of the stack were given the same port: {ports}")
    if taken:
        raise PortInUse(
            "port already in use: " + ", ".join(taken) + ". Stop whatever listens there "
            "(another `make run`?) or choose other ports with --port / DEVSTACK_PORT."
        )


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the servers we start: a port left in TIME_WAIT by the last run is free, a listener is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def wait_listening(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f}s")
