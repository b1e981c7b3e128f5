"""Warnings a flood of connections can trigger are aggregated, never one line per event."""

from __future__ import annotations

import asyncio
import errno
import logging

from sync.server.serving import ThrottledWarning, quiet_accept_errors, server_config


def test_a_warning_repeated_thousands_of_times_is_one_line_then_one_summary_a_minute(caplog):
    now = [1000.0]
    warning = ThrottledWarning("cannot accept connections", clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="rathaus.server"):
        for _ in range(5000):
            warning()
            now[0] += 0.01  # 5000 events in 50 s
        now[0] += 15
        warning()
    lines = [record.getMessage() for record in caplog.records]
    assert lines == ["cannot accept connections", "cannot accept connections (5000 times in the last 65 s)"]


def test_the_event_loops_out_of_file_handles_errors_are_aggregated_and_others_kept(caplog):
    loop = asyncio.new_event_loop()
    try:
        seen = []
        loop.set_exception_handler(lambda loop, context: seen.append(context["message"]))
        quiet_accept_errors(loop)
        with caplog.at_level(logging.WARNING, logger="rathaus.server"):
            for _ in range(1000):
                loop.call_exception_handler(
                    {"message": "socket.accept() out of system resource", "exception": OSError(errno.EMFILE, "Too many open files")}
                )
            loop.call_exception_handler({"message": "something else"})
    finally:
        loop.close()
    assert seen == ["something else"]
    assert len([r for r in caplog.records if "file handles" in r.getMessage()]) <= 1


def test_the_server_configuration_sets_every_limit():
    config = server_config(object(), host="127.0.0.1", port=8080)
    assert config.limit_concurrency and config.backlog <= 1024 and config.timeout_keep_alive <= 30
    assert config.h11_max_incomplete_event_size and config.http.header_timeout <= 60


def test_uvicorns_line_per_bad_request_is_aggregated_once_servers_are_configured():
    server_config(object(), host="127.0.0.1", port=8080)
    logger = logging.getLogger("uvicorn.error")
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger.addHandler(handler)
    try:
        for _ in range(500):
            logger.warning("Invalid HTTP request received.")
        logger.warning("Something else.")
    finally:
        logger.removeHandler(handler)
    assert lines.count("Invalid HTTP request received.") <= 1 and "Something else." in lines
    assert len(lines) <= 3
