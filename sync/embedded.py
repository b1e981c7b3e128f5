"""Run a town-hall server inside another process, on the loopback interface only.

Used by ``rathaus demo`` (kiosk and town hall on one machine) and by end-to-end tests. The port is
chosen by the operating system, so several can run side by side.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from kiosk.errors import RathausError
from sync.server.serving import server_config


@dataclass
class EmbeddedServer:
    """A uvicorn server on 127.0.0.1 running in a daemon thread."""

    url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> "EmbeddedServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_embedded_server(app: Starlette, *, startup_timeout: float = 15.0) -> EmbeddedServer:
    """Start ``app`` on a free loopback port and wait until it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="townhall-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RathausError("The local town-hall server did not start.", detail=f"port {port}")
        time.sleep(0.02)
    return EmbeddedServer(url=f"http://127.0.0.1:{port}", _server=server, _thread=thread)
