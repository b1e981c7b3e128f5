"""How the town-hall server meets the network: bounded in connections, in time, and in log lines.

The kiosks' link is slow, but everyone on the internet can reach the proxy in front of us, so
nothing a sender does may hold memory, a file handle or the log for ever:

- **Headers** must arrive within ``HEADER_TIMEOUT_SECONDS`` of the connection opening (or of the
  previous answer on a kept-alive one); uvicorn itself only times out idle kept-alive connections,
  so a connection trickling its headers one byte at a time would otherwise stay open for ever.
  The body has its own deadlines in the app (``sync.server.app``).
- **Connections** are capped at ``MAX_CONNECTIONS``, or lower when the process's file limit
  (``LimitNOFILE`` in the systemd unit, ``ulimit -n``) leaves less room. When the cap is reached, the connection that has waited
  longest for its headers is closed to make room; a new one is turned away only when every slot
  is busy with a real request. So the process never runs out of file handles, and slow strangers
  cannot lock a kiosk out.
- **Header size**: the request line and all headers together may hold ``MAX_HEADER_BYTES``;
  more gets 431 and the connection is closed. h11's own limit only applies to what is still
  incomplete after each read, so a whole block arriving in one read of up to 64 KiB passed it.
- **Log lines** about refused connections, and the event loop's "out of system resource" errors,
  are aggregated: the first is logged, then one summary a minute, never a line per event.

``server_config`` builds the uvicorn configuration both ``rathaus server`` and the embedded demo
server use.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, Callable

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("rathaus.server")

HEADER_TIMEOUT_SECONDS = 30.0
KEEP_ALIVE_SECONDS = 15
MAX_CONNECTIONS = 256
LISTEN_BACKLOG = 128
MAX_HEADER_BYTES = 16 * 1024  # request line and every header line together, up to the blank line
_END_OF_HEADERS = re.compile(rb"\n\r?\n")  # what h11 accepts as the blank line
_HEADERS_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\nconnection: close\r\n\r\nRequest header fields too large"
)
_SUMMARY_EVERY_SECONDS = 60.0
_RESERVED_FILES = 32  # database and its journal, log, standard streams, listening socket, threads


class ThrottledWarning:
    """A warning that may happen thousands of times a minute, logged at most once a minute.

    The first occurrence is logged at once; later ones are counted and reported in one line with
    the first occurrence a minute or more after the last line (so a flood that stops leaves its
    count unreported: what matters is that it never fills the log).
    """

    def __init__(self, text: str, *, every: float = _SUMMARY_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.text = text
        self.every = every
        self._clock = clock
        self._last: float | None = None
        self._unreported = 0

    def __call__(self) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self.every:
            self._unreported += 1
            return
        if self._unreported:
            log.warning("%s (%d times in the last %.0f s)", self.text, self._unreported + 1, now - self._last)
        else:
            log.warning("%s", self.text)
        self._last, self._unreported = now, 0


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for headers and a cap on connections."""

    header_timeout: float = HEADER_TIMEOUT_SECONDS
    max_connections: int = MAX_CONNECTIONS
    _refused_warning: ThrottledWarning
    _evicted_warning: ThrottledWarning

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._waiting_since: float | None = None
        self._header_bytes = 0  # of the request whose headers are coming in
        self._header_tail = b""  # its last two bytes, to find a blank line split between two reads
        self._refused_headers = False
        self._turning_to_next = False  # within on_response_complete: the next request is in h11's buffer

    # -- connection cap ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections and not self._evict_one():
            self._refused_warning()
            transport.abort()  # frees the file handle now; the kiosk retries later
            return
        self._await_headers()

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest for its headers; ``False`` if none."""
        waiting = [c for c in self.connections if c is not self and isinstance(c, GuardedH11Protocol) and c._waiting_since is not None]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c._waiting_since or 0.0)
        self._evicted_warning()
        oldest._close_for_good()
        return True

    # -- header deadline ---------------------------------------------------------------------

    def _await_headers(self) -> None:
        self._cancel_header_timer()
        self._waiting_since = self.loop.time()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        self._waiting_since = None

    def _waiting(self) -> bool:
        """No request is being served: its headers have not come yet, or the answer is out and
        the rest of a refused body is still being read and thrown away."""
        return self.conn.their_state is h11.IDLE or self.conn.our_state is h11.DONE

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._waiting():
            self._close_for_good()

    def _close_for_good(self) -> None:
        self._cancel_header_timer()
        if not self.transport.is_closing():
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._refused_headers:
            return  # the rest of a refused request: thrown away until the sender or the deadline ends it
        if self.conn.their_state is h11.IDLE and not self._header_block_fits(data):
            self._refuse_headers()
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._header_bytes, self._header_tail = 0, b""
        if self._waiting_since is not None and not self._waiting():
            self._cancel_header_timer()  # the request line and headers are in

    def handle_events(self) -> None:
        """A request that came in behind another on the same connection (pipelined) waited in
        h11's buffer while the first was answered, so ``data_received`` never counted it: when
        the server turns to it, its header block is measured in the buffer before h11 parses it,
        and what is there counts towards the rest of the block still to come."""
        if self._turning_to_next and not self._refused_headers and self.conn.their_state is h11.IDLE:
            buffered = self.conn.trailing_data[0]
            end = _END_OF_HEADERS.search(buffered)
            if (end.end() if end else len(buffered)) > MAX_HEADER_BYTES:
                self._refuse_headers()
                return
            if end is None:
                self._header_bytes, self._header_tail = len(buffered), buffered[-2:]
        super().handle_events()

    def _refuse_headers(self) -> None:
        """431, then our side of the connection closed: the sender reads the answer instead of a
        reset (closing with its bytes unread would reset), and whatever it still sends is thrown
        away until it closes too or the header deadline closes the connection."""
        self._refused_headers = True
        if self.transport.is_closing():
            return
        self.transport.write(_HEADERS_TOO_LARGE)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._await_headers()
        else:
            self.transport.close()

    def _header_block_fits(self, data: bytes) -> bool:
        """Count ``data`` into the header block of the request now arriving; ``False`` once the
        block (up to its blank line, or all of it so far) is larger than ``MAX_HEADER_BYTES``."""
        seen = self._header_tail + data
        end = _END_OF_HEADERS.search(seen)
        if end is None:
            self._header_bytes += len(data)
            self._header_tail = seen[-2:]  # a blank line (LF CR LF) can start two bytes back
            return self._header_bytes <= MAX_HEADER_BYTES
        return self._header_bytes + end.end() - len(self._header_tail) <= MAX_HEADER_BYTES

    def on_response_complete(self) -> None:
        self._turning_to_next = True
        try:
            super().on_response_complete()
        finally:
            self._turning_to_next = False
        if not self.transport.is_closing():
            # The next request gets the same deadline; so does reading and throwing away the rest
            # of a body refused before it was complete (413, 503), which lets the sender read our
            # answer instead of a reset connection, but not for longer than that.
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)


def guarded_protocol(
    *, header_timeout: float = HEADER_TIMEOUT_SECONDS, max_connections: int = MAX_CONNECTIONS
) -> type[GuardedH11Protocol]:
    """A protocol class with these limits (one per server: the warnings are counted per server)."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {
            "header_timeout": header_timeout,
            "max_connections": max_connections,
            "_refused_warning": ThrottledWarning(
                f"connection refused: all {max_connections} connections are busy"
            ),
            "_evicted_warning": ThrottledWarning(
                "connection closed to make room: it sent no complete request headers in time"
            ),
        },
    )


_out_of_handles = ThrottledWarning("cannot accept connections: out of file handles or memory")

# What uvicorn logs once per bad request from anyone: counted, at most one line a minute each.
_REPEATED_BY_STRANGERS = ("Invalid HTTP request received.", "Exceeded concurrency limit.")


class _OncePerMinute(logging.Filter):
    """Lets the first of these uvicorn lines through, then one a minute with the count."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text not in _REPEATED_BY_STRANGERS:
            return True
        now = time.monotonic()
        last, unreported = self._seen.get(text, (None, 0))
        if last is not None and now - last < _SUMMARY_EVERY_SECONDS:
            self._seen[text] = (last, unreported + 1)
            return False
        if unreported:
            record.msg, record.args = "%s (%d times in the last %.0f s)", (text, unreported + 1, now - last)
        self._seen[text] = (now, 0)
        return True


def _quiet_uvicorn_repeats() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _OncePerMinute) for f in logger.filters):
        logger.addFilter(_OncePerMinute())


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Aggregate the event loop's "socket.accept() out of system resource" errors.

    asyncio reports each failed accept with a full traceback and retries a second later, which
    under a flood of connections wrote tens of thousands of lines. Other errors keep the loop's
    usual handling.
    """
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == "socket.accept() out of system resource":
            _out_of_handles()
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """``wanted``, or fewer when the process may open fewer files: a connection is one file
    handle, and the database, the log and the server need some of their own."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(4, min(wanted, soft - _RESERVED_FILES))


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    header_timeout: float = HEADER_TIMEOUT_SECONDS,
    max_connections: int | None = None,
    **options: Any,
) -> uvicorn.Config:
    """The uvicorn configuration for the town-hall app, every limit set; the connection cap
    defaults to ``MAX_CONNECTIONS`` or what the file limit leaves room for."""
    if max_connections is None:
        max_connections = connection_cap()
    _quiet_uvicorn_repeats()
    settings: dict[str, Any] = dict(
        host=host,
        port=port,
        http=guarded_protocol(header_timeout=header_timeout, max_connections=max_connections),
        # A backstop only: the protocol keeps connections (and so requests) within the cap
        # itself, without uvicorn's one warning line per refused request.
        limit_concurrency=max_connections + 1,
        backlog=LISTEN_BACKLOG,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        server_header=False,
    )
    settings.update(options)
    return uvicorn.Config(app, **settings)
