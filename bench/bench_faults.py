"""The fault matrix: each fault injected into the real ``arxiv-digest push --now`` or ``run``
(child processes, against a fake Telegram, a fake Discord and a fake arXiv), then what was lost,
what was sent twice, the exit code and what was logged (warning and error lines by event, and
tracebacks).

"Lost" counts (chat, paper) pairs still undelivered after the recovery step each fault allows
(the next push, the store back, the right back); "twice" counts papers a chat received more than
once. Every fault runs on 40 chats following cs.DC (6 papers each).

    python -m bench.bench_faults              # every fault, about three minutes
    python -m bench.bench_faults --only redis  # the faults whose name contains "redis"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from adapters.discord.endpoints import current_endpoints, restore_endpoints
from bot import listing
from bot.models import ChatKey, ChatSettings
from bot.store import open_store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import TOKEN as DISCORD_TOKEN
from tests.fakes.discord import FakeDiscord, Scripted
from tests.fakes.feeds import make_rss
from tests.fakes.telegram import (
    FakeTelegram,
    accepted_late,
    message_update,
    not_enough_rights,
    server_error,
    too_many_requests,
)
from tests.own_redis import OwnRedis
from tests.paths import ROOT
from tests.push_rig import ids, thursday_items

ABS = re.compile(r"https://arxiv\.org/abs/([0-9]{4}\.[0-9]{5})")
EXPECTED = ids(1, 2, 3, 4, 5, 10)
CHATS = [5_000_000 + n for n in range(40)]
LINE = re.compile(r"level=(warning|error|critical) event=(\S+)")


@dataclass
class Outcome:
    fault: str
    exits: list[int | None] = field(default_factory=list)
    lost: int = 0
    twice: int = 0
    events: Counter[str] = field(default_factory=Counter)
    tracebacks: int = 0
    note: str = ""

    def read(self, stderr: bytes) -> None:
        text = stderr.decode(errors="replace")
        self.tracebacks += text.count("Traceback")
        for line in text.splitlines():
            found = LINE.search(line)
            if found:
                self.events[found.group(2)] += 1


@dataclass
class World:
    tg: FakeTelegram
    arxiv: FakeArxiv
    workdir: Path
    store_url: str
    discord: FakeDiscord | None = None
    telegram_token: str | None = None

    def env(self, telegram: bool = True) -> dict[str, str]:
        kept = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("TELEGRAM_", "DISCORD_", "OPENAI_", "ARXIV_", "STORE_", "METRICS_", "LOG_")
            )
        }
        env = kept | {
            "PYTHONPATH": str(ROOT),
            "ARXIV_RSS_URL": self.arxiv.rss_url,
            "ARXIV_API_URL": self.arxiv.api_url,
            "ARXIV_MIN_INTERVAL": "0",
            "STORE_URL": self.store_url,
            "LOG_LEVEL": "INFO",
        }
        if telegram:
            env |= {
                "TELEGRAM_BOT_TOKEN": self.telegram_token or self.tg.token,
                "TELEGRAM_API_URL": self.tg.api_url,
            }
        if self.discord is not None:
            env |= {
                "DISCORD_BOT_TOKEN": DISCORD_TOKEN,
                "DISCORD_API_URL": self.discord.api_url,
                "DISCORD_GATEWAY_URL": self.discord.gateway_url,
            }
        return env

    async def start(self, *command: str, telegram: bool = True) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from adapters.cli import main; main()",
            *command,
            cwd=self.workdir,
            env=self.env(telegram),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )

    async def push(self, outcome: Outcome, telegram: bool = True) -> None:
        process = await self.start("push", "--now", telegram=telegram)
        _, stderr = await process.communicate()
        outcome.exits.append(process.returncode)
        outcome.read(stderr)

    def tally(self, outcome: Outcome, chats: list[int] = CHATS) -> int:
        """Count lost and repeated papers into ``outcome``; the papers lost."""
        got: dict[int, Counter[str]] = {chat: Counter() for chat in chats}
        for message in self.tg.sent:
            if isinstance(message.chat_id, int) and message.chat_id in got:
                got[message.chat_id].update(list(dict.fromkeys(ABS.findall(message.text))))
        outcome.lost = sum(len(EXPECTED - set(papers)) for papers in got.values())
        outcome.twice = sum(n - 1 for papers in got.values() for n in papers.values() if n > 1)
        return outcome.lost


async def subscribe(store_url: str, chats: list[ChatKey]) -> None:
    """The chats follow cs.DC and are due now (``run`` pushes them; ``push --now`` pushes anyway)."""
    store = await open_store(store_url, "arxiv-digest:")
    try:
        for chat in chats:
            await store.put_chat(ChatSettings(chat, ("cs.DC",)))
            await store.set_due(chat, time.time())
    finally:
        await store.close()


Scenario = Callable[[World, Outcome], Awaitable[None]]


async def kill_9(world: World, outcome: Outcome) -> None:
    world.tg.send_latency = 0.1
    first = await world.start("push", "--now")
    await world.tg.wait_for(lambda: len(world.tg.sent) >= 10, 60)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    outcome.exits.append(first.returncode)
    world.tg.send_latency = 0.0
    while True:
        world.tg.sent.sort(key=lambda m: m.at)
        world.tally(outcome)
        if not outcome.lost:
            break
        await world.push(outcome)
        await asyncio.sleep(10.0)  # cron's next run
    outcome.note = f"{len(outcome.exits) - 1} restarts until complete"


async def redis_restart(world: World, outcome: Outcome) -> None:
    server = OwnRedis(world.workdir)
    await server.start()
    world.store_url = server.url
    await subscribe(server.url, [ChatKey("telegram", str(c)) for c in CHATS])
    world.tg.send_latency = 0.1
    first = await world.start("push", "--now")
    await world.tg.wait_for(lambda: len(world.tg.sent) >= 10, 60)
    await server.kill()
    await asyncio.sleep(5.0)
    await server.start()
    _, stderr = await first.communicate()
    outcome.exits.append(first.returncode)
    outcome.read(stderr)
    world.tg.send_latency = 0.0
    await world.push(outcome)
    await server.kill()
    outcome.note = "Redis down 5 s; then one more push"


async def sigterm(world: World, outcome: Outcome) -> None:
    world.tg.send_latency = 0.2
    first = await world.start("push", "--now")
    await world.tg.wait_for(lambda: world.tg.sends_started >= 5, 60)
    first.send_signal(signal.SIGTERM)
    _, stderr = await first.communicate()
    outcome.exits.append(first.returncode)
    outcome.read(stderr)
    handed = [line for line in stderr.decode().splitlines() if "event=push_stopped" in line]
    world.tg.send_latency = 0.0
    await world.push(outcome)
    outcome.note = "; ".join(
        part for part in handed[0].split() if part.startswith(("chats=", "handed_back="))
    )


async def token_rejected(world: World, outcome: Outcome) -> None:
    world.telegram_token = "4242:a-token-telegram-refuses"
    await world.push(outcome)
    world.telegram_token = None
    await world.push(outcome)
    outcome.note = "nothing sent with the bad token; all delivered once it is fixed"


async def telegram_502(world: World, outcome: Outcome) -> None:
    world.tg.fail(server_error(502), times=None)
    await world.push(outcome)
    world.tg.clear_failures()
    await world.push(outcome)
    outcome.note = "Telegram 502 on every send; then Telegram back"


async def retry_after_120(world: World, outcome: Outcome) -> None:
    world.tg.fail(too_many_requests(120), chat_id=CHATS[0], times=None)
    await world.push(outcome)
    waiting = "only the 429 chat waited" if world.tally(outcome) == len(EXPECTED) else "others waited too"
    world.tg.clear_failures()
    await world.push(outcome)
    outcome.note = f"{waiting}; it was delivered by the next push"


async def no_rights(world: World, outcome: Outcome) -> None:
    world.tg.fail(not_enough_rights(), chat_id=CHATS[0], times=None)
    await world.push(outcome)
    store = await open_store(world.store_url, "arxiv-digest:")
    try:
        kept = await store.get_chat(ChatKey("telegram", str(CHATS[0]))) is not None
    finally:
        await store.close()
    world.tg.clear_failures()
    await world.push(outcome)
    outcome.note = f"muted chat kept: {kept}; delivered once the right returned"


async def late_answer(world: World, outcome: Outcome) -> None:
    world.tg.fail(accepted_late(25.0), chat_id=CHATS[0])
    await world.push(outcome)
    outcome.note = "answer after 25 s > the 20 s read timeout: resent, counted as a possible repeat"


async def discord_bad_event(world: World, outcome: Outcome) -> None:
    assert world.discord is not None
    discord = world.discord
    process = await world.start("run")
    await discord.wait_for(lambda: None in discord.synced and discord.ready.is_set(), 60)
    await world.tg.wait_for(lambda: world.tg.polls > 0, 60)
    bad = discord.interaction("list")
    del bad["attachment_size_limit"]
    await discord.dispatch("INTERACTION_CREATE", bad)
    answered = await discord.interact(discord.interaction("help"), 30)
    world.tg.add_update(message_update("/help"))
    await world.tg.wait_for(lambda: any(m.chat_id == 10081232 for m in world.tg.sent), 30)
    await world.tg.wait_for(lambda: world.tally(outcome) == 0, 60)
    process.send_signal(signal.SIGTERM)
    _, stderr = await process.communicate()
    outcome.exits.append(process.returncode)
    outcome.read(stderr)
    outcome.note = f"Discord answered after it: {bool(answered.texts)}; Telegram answered; push ran"


async def discord_start_fails(world: World, outcome: Outcome) -> None:
    assert world.discord is not None
    discord = world.discord
    discord.sync_failures.append(Scripted(503, {"message": "Service Unavailable", "code": 0}))
    process = await world.start("run")
    await discord.wait_for(lambda: None in discord.synced and discord.ready.is_set(), 60)
    answered = await discord.interact(discord.interaction("help"), 30)
    await world.tg.wait_for(lambda: world.tally(outcome) == 0, 60)
    process.send_signal(signal.SIGTERM)
    _, stderr = await process.communicate()
    outcome.exits.append(process.returncode)
    outcome.read(stderr)
    outcome.note = f"Discord restarted and answered: {bool(answered.texts)}"


async def discord_missing_permissions(world: World, outcome: Outcome) -> None:
    assert world.discord is not None
    channel = world.discord.default_channel
    store = await open_store(world.store_url, "arxiv-digest:")
    try:
        for chat_id in CHATS:  # this push runs Discord alone
            await store.delete_chat(ChatKey("telegram", str(chat_id)))
    finally:
        await store.close()
    await subscribe(world.store_url, [ChatKey("discord", channel)])
    world.discord.script(channel, Scripted(403, {"message": "Missing Permissions", "code": 50013}))
    await world.push(outcome, telegram=False)
    store = await open_store(world.store_url, "arxiv-digest:")
    try:
        kept = await store.get_chat(ChatKey("discord", channel)) is not None
    finally:
        await store.close()
    await world.push(outcome, telegram=False)
    delivered = bool(world.discord.messages.get(channel))
    world.tally(outcome, [])
    outcome.note = f"channel kept: {kept}; delivered once the permission returned: {delivered}"


SCENARIOS: list[tuple[str, Scenario, bool]] = [
    ("push: kill -9 mid-push, cron restart every 10 s", kill_9, False),
    ("push: Redis killed mid-push, back 5 s later", redis_restart, False),
    ("push: SIGTERM mid-push", sigterm, False),
    ("push: Telegram refuses the token", token_rejected, False),
    ("push: Telegram answers 502 to every send", telegram_502, False),
    ("push: one chat gets 429 retry_after 120", retry_after_120, False),
    ("push: bot muted in one chat (no rights)", no_rights, False),
    ("push: Telegram answers a send after 25 s", late_answer, False),
    ("push: Discord 403 50013 Missing Permissions", discord_missing_permissions, True),
    ("run: Discord event discord.py cannot parse", discord_bad_event, True),
    ("run: Discord fails to start (503)", discord_start_fails, True),
]


async def run_scenario(name: str, scenario: Scenario, with_discord: bool) -> Outcome:
    outcome = Outcome(name)
    day = listing.latest_feed_listing(datetime.now(UTC))
    previous = current_endpoints()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        store_url = f"sqlite:///{workdir / 'store.sqlite3'}"
        await subscribe(store_url, [ChatKey("telegram", str(c)) for c in CHATS])
        async with FakeTelegram() as tg, FakeArxiv() as arxiv:
            arxiv.set_feed(make_rss(day, thursday_items(), ["cs.DC", "cs.LG"]))
            world = World(tg, arxiv, workdir, store_url)
            try:
                if with_discord:
                    async with FakeDiscord(heartbeat_interval_ms=500) as discord:
                        world.discord = discord
                        await scenario(world, outcome)
                else:
                    await scenario(world, outcome)
                    world.tally(outcome)
            finally:
                restore_endpoints(previous)
    return outcome


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="run the faults whose name contains this")
    args = parser.parse_args()
    for name, scenario, with_discord in SCENARIOS:
        if args.only.lower() not in name.lower():
            continue
        outcome = await run_scenario(name, scenario, with_discord)
        logged = ", ".join(f"{event}×{count}" for event, count in sorted(outcome.events.items())) or "none"
        print(f"{name}")
        print(
            f"    exit codes {outcome.exits}; lost {outcome.lost}; sent twice {outcome.twice}; "
            f"tracebacks {outcome.tracebacks}"
        )
        print(f"    warning/error lines: {logged}")
        if outcome.note:
            print(f"    {outcome.note}")


if __name__ == "__main__":
    asyncio.run(main())
