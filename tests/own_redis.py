"""A Redis server of a test's own, to kill and restart without touching the shared one.

    server = OwnRedis(tmp_path)
    await server.start()      # redis-server on a free port, append-only file in tmp_path
    await server.kill()       # SIGKILL: every client's next call fails
    await server.start()      # back on the same port with its data (fsync on every write)

The process is started with ``tests.processes.spawn``, so it never outlives the test.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import redis.asyncio as redis

from tests.ports import free_port
from tests.processes import spawn


class OwnRedis:
    """redis-server on 127.0.0.1 at a free port, persisting to ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, within: float = 20.0) -> None:
        """Start (or restart) the server and return once it answers."""
        program = shutil.which("redis-server")
        if program is None:
            pytest.skip("redis-server is not installed")
        self.process = await spawn(
            program,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        try:
            async with asyncio.timeout(within):
                while True:
                    try:
                        if await client.ping():
                            return
                    except (redis.ConnectionError, redis.BusyLoadingError, OSError):
                        await asyncio.sleep(0.02)
        finally:
            await client.aclose()

    async def kill(self) -> None:
        """SIGKILL the server and wait for it to be gone."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
