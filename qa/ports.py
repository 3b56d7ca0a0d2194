"""Ports: a free loopback one (the local model's server, the servers tests and benchmarks start), and
whether a given one is free (the server deployment checks before it starts anything)."""

from __future__ import annotations

import errno
import socket

PORT_IN_USE = "already in use"


def free_port() -> int:
    """A TCP port nobody listens on right now, on the loopback interface (it may be taken before use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cannot_listen(host: str, port: int) -> str | None:
    """Why a server could not listen on `host:port` now ("already in use", an address that is not this
    machine's), or None when it could. Connections still closing on the port do not count."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As servers do (uvicorn included): a port whose last connections are in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            return PORT_IN_USE if err.errno == errno.EADDRINUSE else (err.strerror or str(err))
    return None
