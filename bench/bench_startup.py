"""Start-up and logging figures: many processes opening one new SQLite store at once, and what the
log redaction costs per line.

    python bench/bench_startup.py [--processes 10] [--files 40]   # from the project root, venv active

The first figure spawns ``--processes`` workers that open each of ``--files`` new SQLite files at the
same instants (the race "database is locked" came from) and prints failures and opening times. The
second formats 20,000 log lines (an httpx request line with the bot token in its URL) with and
without the redaction and prints microseconds per line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from adapters.logs import RedactingFormatter, Redactor  # noqa: E402
from bot.store.sqlite import SQLiteStore  # noqa: E402

STEP = 0.08
TOKEN = "123456789:AAE-fake-token-for-benchmarks-0123456"


async def open_files(directory: Path, files: int) -> None:
    """Worker: wait for "go", open each new file at go + k * STEP; print seconds per opening."""
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    go = time.monotonic()
    for index in range(files):
        await asyncio.sleep(max(0.0, go + index * STEP - time.monotonic()))
        started = time.monotonic()
        try:
            store = await SQLiteStore.connect(f"sqlite:///{directory / f'{index}.sqlite3'}", "bench:")
            await store.close()
            print(f"ok {time.monotonic() - started:.6f}", flush=True)
        except Exception as error:
            print(f"failed {type(error).__name__}: {error}", flush=True)


def sqlite_race(processes: int, files: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workers = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", tmp, "--files", str(files)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            for _ in range(processes)
        ]
        time.sleep(3.0)  # every worker imported and waiting
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        lines = [line for worker in workers for line in worker.communicate()[0].splitlines()]
    opened = sorted(float(line.split()[1]) for line in lines if line.startswith("ok "))
    failed = [line for line in lines if line.startswith("failed")]
    print(f"{processes} processes x {files} new SQLite files opened at the same instants:")
    print(f"  openings {len(opened) + len(failed)}, failed {len(failed)}")
    if opened:
        cut = statistics.quantiles(opened, n=100)
        print(
            f"  opening time p50 {cut[49] * 1000:.1f} ms, p99 {cut[98] * 1000:.1f} ms, max {opened[-1] * 1000:.1f} ms"
        )
    for line in failed[:3]:
        print("  " + line)


def redaction_cost(lines: int = 20_000) -> None:
    shared: list[structlog.typing.Processor] = [structlog.stdlib.add_log_level]
    options = {
        "foreign_pre_chain": shared,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.LogfmtRenderer(),
        ],
    }
    plain = structlog.stdlib.ProcessorFormatter(**options)  # type: ignore[arg-type]
    redacting = RedactingFormatter(Redactor([TOKEN, "sk-bench-key-0123456789"]), **options)
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, 'HTTP Request: POST %s "HTTP/1.1 200 OK"',
        (f"https://api.telegram.org/bot{TOKEN}/sendMessage",), None,
    )  # fmt: skip
    for name, formatter in (("without redaction", plain), ("with redaction", redacting)):
        started = time.perf_counter()
        for _ in range(lines):
            text = formatter.format(record)
        per_line = (time.perf_counter() - started) / lines * 1e6
        print(f"  {name}: {per_line:.1f} µs per line ({'token shown' if TOKEN in text else 'token masked'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--worker", metavar="DIR")
    args = parser.parse_args()
    if args.worker:
        asyncio.run(open_files(Path(args.worker), args.files))
        return
    sqlite_race(args.processes, args.files)
    print("log formatting, 20,000 lines:")
    redaction_cost()


if __name__ == "__main__":
    main()
