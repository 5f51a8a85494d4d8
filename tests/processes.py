"""Child processes started by tests, so none outlives the test that started it.

Every test that runs the product in another process starts it with ``spawn``; the autouse fixture
``reap_processes`` in ``conftest.py`` kills whatever is still running when the test ends, whether
it passed, failed or timed out (a worker blocked on its standard input included).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

_LIVE: list[asyncio.subprocess.Process] = []


async def spawn(program: str, *args: str, **options: Any) -> asyncio.subprocess.Process:
    """``asyncio.create_subprocess_exec`` whose process is killed at the end of the test."""
    process = await asyncio.create_subprocess_exec(program, *args, **options)
    _LIVE.append(process)
    return process


async def run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run ``arxiv-digest ARGS`` (``python -m adapters.cli``) in ``cwd`` with nothing on stdin:
    its exit code, standard output and standard error."""
    process = await spawn(
        sys.executable,
        "-m",
        "adapters.cli",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def reap() -> int:
    """Kill every spawned process still running; how many were."""
    killed = 0
    while _LIVE:
        process = _LIVE.pop()
        if process.returncode is not None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        with contextlib.suppress(ChildProcessError):
            os.waitpid(process.pid, 0)
    return killed
