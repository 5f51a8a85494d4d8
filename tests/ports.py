"""Free TCP ports on 127.0.0.1 for the servers a test starts (metrics, a Redis of its own)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
