"""Slow work is visible and holds nothing up: "typing…" while ``/today`` waits for the LLM, a
``/list`` sent meanwhile answered at once, and settings changes kept in the order they were sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

from adapters.telegram.limits import CommandOrder
from bot.i18n import t
from tests.fakes.openai import FakeOpenAI
from tests.fakes.telegram import group_chat, message_update, user
from tests.fakes.telegram_harness import running_bot

DIGEST = t("en", "digest_title")


async def test_today_with_a_slow_llm_shows_typing_and_holds_nothing(tmp_path: Path) -> None:
    """While /today waits for the LLM the chat sees "typing…" again and again, a /list sent meanwhile
    is answered before the digest, and the typing stops before the digest is sent."""
    async with FakeOpenAI() as llm:
        overrides = {"openai_base_url": llm.base_url, "openai_api_key": "sk-local"}
        async with running_bot(tmp_path, settings_overrides=overrides, typing_every=0.05) as bot:
            tg = bot.tg
            await bot.send(message_update("/subscribe cs.DC"))
            llm.hold()
            tg.add_update(message_update("/today"))
            await tg.wait_for(lambda: len(tg.calls_to("sendChatAction")) >= 3, 30)
            tg.add_update(message_update("/list"))
            await tg.wait_for(lambda: tg.sent[-1].visible.startswith("This chat follows: cs.DC"), 30)
            assert not any(DIGEST in m.visible for m in tg.sent)
            assert llm.calls > 0
            llm.release()
            await tg.wait_for(lambda: any(DIGEST in m.visible for m in tg.sent), 30)
            await bot.settle()
            actions = tg.calls_to("sendChatAction")
            assert {(c.params["action"], str(c.params["chat_id"])) for c in actions} == {
                ("typing", "10081232")
            }
            methods = [c.method for c in tg.calls if c.method in ("sendChatAction", "sendMessage")]
            digest_at = next(i for i, c in enumerate(tg.calls) if DIGEST in str(c.params.get("text")))
            assert "sendChatAction" not in [c.method for c in tg.calls[digest_at:]], methods


async def test_quick_commands_send_no_typing(tmp_path: Path) -> None:
    """Commands that only read or change settings answer without a chat action."""
    async with running_bot(tmp_path) as bot:
        for text in ("/subscribe cs.DC", "/list", "/time 09:00", "/status", "/help"):
            await bot.send(message_update(text))
        assert len(bot.tg.sent) == 5
        assert bot.tg.calls_to("sendChatAction") == []


async def test_settings_changes_keep_their_order(tmp_path: Path) -> None:
    """Changes sent in a burst by a group admin (each checked with getChatMember) apply and are
    answered in the order sent; a read sent after them sees them all."""
    group = group_chat()
    admin = user(777, language_code="en")
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(group["id"], 777, "administrator")
        texts = [
            "/subscribe cs.DC",
            "/lang zh",
            "/unsubscribe cs.DC",
            "/subscribe cs.LG",
            "/time 07:30",
            "/list",
        ]
        for text in texts:
            bot.tg.add_update(message_update(text, chat=group, sender=admin))
        await bot.tg.wait_sent(len(texts), 30)
        await bot.settle()
        replies = [m.visible for m in bot.tg.sent]
        assert replies[0].startswith("Subscribed to cs.DC")
        assert "中文" in replies[1]
        assert replies[2].startswith("已取消订阅 cs.DC")
        assert replies[3].startswith("已订阅 cs.LG")
        assert replies[4].startswith("每日推送时间已设为 07:30")
        assert (
            replies[5].startswith("本聊天关注：cs.LG") and "07:30" in replies[5] and "cs.DC" not in replies[5]
        )


async def _run_ready() -> None:
    """Let every task that can run do so (no timers: the same on a busy machine)."""
    for _ in range(100):
        await asyncio.sleep(0)


async def _step(
    order: CommandOrder, key: str, changes: bool, log: list[str], name: str, gate: asyncio.Event
) -> None:
    async with order.turn(key, changes):
        log.append(f"{name} starts")
        await gate.wait()
        log.append(f"{name} ends")


async def test_command_order_rules() -> None:
    """Reads never wait for reads; a read waits for the changes sent before it; changes run one at
    a time in order; a change cancelled while waiting does not let a later one overtake."""
    order = CommandOrder()
    log: list[str] = []
    gates = {name: asyncio.Event() for name in ("read1", "change1", "change2", "change3", "read2")}
    read1 = asyncio.create_task(_step(order, "chat", False, log, "read1", gates["read1"]))
    change1 = asyncio.create_task(_step(order, "chat", True, log, "change1", gates["change1"]))
    change2 = asyncio.create_task(_step(order, "chat", True, log, "change2", gates["change2"]))
    change3 = asyncio.create_task(_step(order, "chat", True, log, "change3", gates["change3"]))
    read2 = asyncio.create_task(_step(order, "chat", False, log, "read2", gates["read2"]))
    other = asyncio.create_task(_step(order, "other chat", True, log, "other", asyncio.Event()))
    await _run_ready()
    assert log == ["read1 starts", "change1 starts", "other starts"]
    change2.cancel()
    gates["change1"].set()
    gates["change3"].set()
    await _run_ready()
    assert log[3:] == ["change1 ends", "change3 starts", "change3 ends", "read2 starts"]
    gates["read1"].set()
    gates["read2"].set()
    await asyncio.gather(read1, change1, change3, read2)
    other.cancel()
    await asyncio.gather(other, return_exceptions=True)
    assert change2.cancelled() and len(order) == 0
