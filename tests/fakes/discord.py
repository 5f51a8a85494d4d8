"""A local Discord for discord.py to drive: REST under ``/api/v10`` and the gateway over WebSocket.

Payloads are built on the recordings in ``tests/fixtures/discord`` (updated to API v10 where
the 2017 captures predate fields discord.py now needs). Every JSON reply carries
``Content-Type: application/json`` exactly, as discord.py checks it. The REST side validates
messages against Discord's limits and answers violations with Discord's error shape; tests script
failures per channel (429 with ``Via``, 403 Missing Access, 404 Unknown Channel, 5xx). The gateway
speaks HELLO / IDENTIFY → READY / heartbeats, with zlib-stream transport compression when asked,
and lets tests inject dispatches (GUILD_CREATE, GUILD_DELETE, INTERACTION_CREATE).

Messages may carry buttons (``components``): validated as Discord does (at most 5 action rows of 1
to 5 buttons, styles 1–5, a ``custom_id`` of 1 to 100 characters unique in the message for
styles 1–4 and a ``url`` instead for links, labels of at most 80 characters). Every message the
bot creates (channel posts and interaction follow-ups) is kept as Discord returns it, so a test
can press one of its buttons: ``press`` builds the component interaction (type 3, on the recorded
docs sample) that Discord sends over the gateway, and the callback endpoint takes the responses
Discord allows for it (4, 5, 6 deferred update, 7 update message).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from aiohttp import WSMsgType, web

from tests.paths import FIXTURES

DISCORD = FIXTURES / "discord"

TOKEN = "MTA.fake-discord-bot-token.for-local-tests"

MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = "2147483647"
MEMBER_PERMISSIONS = str((1 << 10) | (1 << 11) | (1 << 16))  # view, send, read history

CONTENT_LIMIT = 2000
EMBED_LIMITS = {"title": 256, "description": 4096, "footer": 2048, "author": 256}
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
FIELDS_PER_EMBED = 25
CHOICES_LIMIT = 25
EPHEMERAL = 1 << 6
ACTION_ROWS = 5
ROW_WIDTH = 5
CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
LINK_STYLE = 5
APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE = 2, 3, 4
CALLBACK_TYPES = {APPLICATION_COMMAND: {4, 5}, COMPONENT: {4, 5, 6, 7}, AUTOCOMPLETE: {8}}
"""Interaction response types Discord accepts for each interaction type."""


def load(name: str) -> Any:
    """A recorded JSON payload under ``fixtures/discord``."""
    return json.loads((DISCORD / name).read_text(encoding="utf-8"))


def load_http(name: str) -> tuple[int, dict[str, str], Any]:
    """A recorded HTTP response written as ``< STATUS`` / ``< Header: value`` lines, then a JSON body."""
    status = 0
    headers: dict[str, str] = {}
    body_lines: list[str] = []
    for line in (DISCORD / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("< HTTP/"):
            status = int(line.split()[2])
        elif line.startswith("< "):
            key, _, value = line[2:].partition(":")
            headers[key.strip()] = value.strip()
        else:
            body_lines.append(line)
    return status, headers, json.loads("\n".join(body_lines))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON reply with the bare ``application/json`` content type discord.py expects."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


def form_error(path: list[str], code: str, message: str) -> dict[str, Any]:
    """Discord's 50035 Invalid Form Body shape with one error at ``path``."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {key: errors}
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}


def embed_length(embed: dict[str, Any]) -> int:
    """Characters of one embed as Discord counts them toward the 6000 limit."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for item in embed.get("fields") or []:
        total += len(item.get("name") or "") + len(item.get("value") or "")
    return total


def validate_components(components: Any) -> dict[str, Any] | None:
    """Discord's error body for a message's ``components`` that break its rules, or None."""
    if not isinstance(components, list):
        return form_error(["components"], "MODEL_TYPE_CONVERT", "Only iterables may be used in a ListType")
    if len(components) > ACTION_ROWS:
        return form_error(
            ["components"], "BASE_TYPE_MAX_LENGTH", f"Must be {ACTION_ROWS} or fewer in length."
        )
    seen: set[str] = set()
    for i, row in enumerate(components):
        where = ["components", str(i)]
        children = row.get("components") if isinstance(row, dict) else None
        if not isinstance(row, dict) or row.get("type") != 1 or not isinstance(children, list):
            return form_error([*where, "type"], "BASE_TYPE_CHOICES", "Value must be one of {1}.")
        if not 1 <= len(children) <= ROW_WIDTH:
            return form_error(
                [*where, "components"],
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {ROW_WIDTH} in length.",
            )
        for j, button in enumerate(children):
            at = [*where, "components", str(j)]
            if button.get("type") != 2:
                return form_error([*at, "type"], "BASE_TYPE_CHOICES", "Value must be one of {2}.")
            style = button.get("style")
            if style not in (1, 2, 3, 4, LINK_STYLE):
                return form_error(
                    [*at, "style"], "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5}."
                )
            label = button.get("label")
            if label is not None and len(label) > LABEL_LIMIT:
                return form_error([*at, "label"], "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
            if not label and not button.get("emoji"):
                return form_error([*at], "COMPONENT_INVALID_LABEL", "A button needs a label or an emoji.")
            custom_id = button.get("custom_id")
            if style == LINK_STYLE:
                if custom_id is not None or not button.get("url"):
                    return form_error(
                        [*at, "url"], "BUTTON_COMPONENT_INVALID_URL", "A link button needs a url."
                    )
                continue
            if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CUSTOM_ID_LIMIT:
                return form_error(
                    [*at, "custom_id"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                )
            if button.get("url") is not None:
                return form_error(
                    [*at, "url"], "BUTTON_COMPONENT_URL_NOT_ALLOWED", "Only link buttons have a url."
                )
            if custom_id in seen:
                return form_error(
                    [*at, "custom_id"],
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
    return None


def custom_ids(message: dict[str, Any]) -> list[str]:
    """The ``custom_id`` of every button of a message, row by row."""
    return [
        button["custom_id"]
        for row in message.get("components") or []
        for button in row.get("components") or []
        if "custom_id" in button
    ]


def validate_message(body: dict[str, Any]) -> dict[str, Any] | None:
    """Discord's error body for a message that breaks a limit, or None if it is acceptable."""
    content = body.get("content")
    embeds = body.get("embeds") or []
    if "components" in body:
        error = validate_components(body["components"])
        if error is not None:
            return error
    if content is not None and len(content) > CONTENT_LIMIT:
        return form_error(["content"], "BASE_TYPE_MAX_LENGTH", f"Must be {CONTENT_LIMIT} or fewer in length.")
    if len(embeds) > EMBEDS_PER_MESSAGE:
        return form_error(
            ["embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_PER_MESSAGE} or fewer in length."
        )
    for i, embed in enumerate(embeds):
        where = ["embeds", str(i)]
        for key in ("title", "description"):
            value = embed.get(key)
            if value is not None and len(value) > EMBED_LIMITS[key]:
                limit = EMBED_LIMITS[key]
                return form_error(
                    [*where, key], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
                )
        footer = (embed.get("footer") or {}).get("text")
        if footer is not None and len(footer) > EMBED_LIMITS["footer"]:
            return form_error(
                [*where, "footer", "text"], "BASE_TYPE_MAX_LENGTH", "Must be 2048 or fewer in length."
            )
        fields = embed.get("fields") or []
        if len(fields) > FIELDS_PER_EMBED:
            return form_error([*where, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, item in enumerate(fields):
            name, value = item.get("name") or "", item.get("value") or ""
            if not name or len(name) > FIELD_NAME_LIMIT:
                return form_error(
                    [*where, "fields", str(j), "name"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 256 in length.",
                )
            if not value or len(value) > FIELD_VALUE_LIMIT:
                return form_error(
                    [*where, "fields", str(j), "value"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 1024 in length.",
                )
        url = embed.get("url")
        if url is not None and not re.match(r"^https?://", url):
            return form_error([*where, "url"], "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if sum(embed_length(e) for e in embeds) > EMBED_TOTAL_LIMIT:
        return form_error(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    if not content and not embeds and not body.get("components"):
        return {"message": "Cannot send an empty message", "code": 50006}
    return None


def validate_choices(body: dict[str, Any]) -> dict[str, Any] | None:
    """Discord's error body for an autocomplete result that breaks its limits."""
    choices = (body.get("data") or {}).get("choices") or []
    if len(choices) > CHOICES_LIMIT:
        return form_error(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        for key in ("name", "value"):
            value = str(choice.get(key, ""))
            if not 1 <= len(value) <= 100:
                return form_error(
                    ["data", "choices", str(i), key],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
    return None


@dataclass
class Scripted:
    """A reply the fake gives instead of accepting a message."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def rate_limited(
    source: str = "official_docs_examples/http_429_user_rate_limit.txt", retry_after: float | None = 0.05
) -> Scripted:
    """A recorded 429 (headers and body) with ``Via`` as Discord's edge adds it; ``retry_after``
    shortens the wait for tests (None keeps the recorded one)."""
    if source.endswith(".txt"):
        _, headers, body = load_http(source)
    else:
        headers, body = {"Retry-After": "3"}, load(source)
    body = dict(body)
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    if retry_after is not None:
        body["retry_after"] = retry_after
        headers["Retry-After"] = str(max(1, round(retry_after)))
        if "X-RateLimit-Reset-After" in headers:
            headers["X-RateLimit-Reset-After"] = str(retry_after)
    headers["Via"] = "1.1 google"
    return Scripted(429, body, headers)


def missing_access() -> Scripted:
    return Scripted(403, {"message": "Missing Access", "code": 50001})


def missing_permissions() -> Scripted:
    return Scripted(403, {"message": "Missing Permissions", "code": 50013})


def unknown_channel() -> Scripted:
    return Scripted(404, {"message": "Unknown Channel", "code": 10003})


def server_error(status: int = 503) -> Scripted:
    return Scripted(status, {"message": "Service Unavailable", "code": 0})


@dataclass
class InteractionLog:
    """What the bot did with one interaction."""

    payload: dict[str, Any]
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted_original: bool = False

    @property
    def responded(self) -> bool:
        return bool(self.callbacks)

    @property
    def callback_type(self) -> int | None:
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def ephemeral(self) -> bool:
        if not self.callbacks:
            return False
        data = self.callbacks[0].get("data") or {}
        return bool((data.get("flags") or 0) & EPHEMERAL)

    @property
    def texts(self) -> list[str]:
        """Every content the user saw: the initial reply, edits and followups."""
        out = []
        for body in [*(c.get("data") or {} for c in self.callbacks), *self.edits, *self.followups]:
            if body.get("content"):
                out.append(body["content"])
        return out


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compressor = zlib.compressobj() if compress == "zlib-stream" else None
        self.sequence = 0
        self.lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            if payload.get("op") == 0:
                self.sequence += 1
                payload = {**payload, "s": self.sequence}
            raw = json.dumps(payload)
            if self.compressor is None:
                await self.ws.send_str(raw)
            else:
                data = self.compressor.compress(raw.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)


class FakeDiscord:
    """Discord's REST API and gateway on 127.0.0.1, recording what the bot does."""

    def __init__(self, token: str = TOKEN, heartbeat_interval_ms: int = 500) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        ready = load("serenity_gateway_2017/ready_1.json")
        self.bot_user: dict[str, Any] = {**ready["user"], "global_name": None, "flags": 0, "public_flags": 0}
        self.application_id = self.bot_user["id"]
        self._snowflakes = itertools.count(int(time.time() * 1000 - 1420070400000) << 22)
        # recordings
        self.requests: list[tuple[str, str]] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.created: dict[str, list[dict[str, Any]]] = {}
        """Every message the bot created, by channel, as Discord returned it (posts and follow-ups)."""
        self.attempts: dict[str, int] = {}
        self.synced: dict[str | None, list[dict[str, Any]]] = {}
        self.interactions: dict[str, InteractionLog] = {}
        self.identifies: list[dict[str, Any]] = []
        self.resumes = 0
        """RESUMEs answered (a reconnected client picking up its session)."""
        self.gateway_failures: list[str] = []
        """What the next gateway connections get, in order, instead of HELLO: ``"close"`` (accepted,
        then closed at once with 1011, a server error) or ``"refuse"`` (HTTP 503 instead of the
        WebSocket upgrade)."""
        self.gateway_failed = 0
        """Gateway connections answered with one of ``gateway_failures``."""
        self.gateway_queries: list[dict[str, str]] = []
        self.heartbeats = 0
        # world
        self.guilds: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.scripts: dict[str, list[Scripted]] = {}
        self.sync_failures: list[Scripted] = []
        """Replies the next command syncs (PUT .../commands) get instead of succeeding."""
        self.ready = asyncio.Event()
        self._connections: list[_Connection] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.default_guild = self.add_guild()
        self.default_channel = str(self.guilds[self.default_guild]["channels"][0]["id"])

    # -- lifecycle --------------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    async def start(self) -> None:
        app = web.Application()
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{api}/gateway", self._gateway_info)
        app.router.add_get(f"{api}/gateway/bot", self._gateway_info)
        app.router.add_put(f"{api}/applications/{{app}}/commands", self._put_commands)
        app.router.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._put_commands)
        app.router.add_get(f"{api}/applications/{{app}}/commands", self._get_commands)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._post_message)
        app.router.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_patch(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._edit)
        app.router.add_delete(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._delete)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        for conn in list(self._connections):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (checked whenever the fake records something)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    def snowflake(self) -> str:
        return str(next(self._snowflakes))

    # -- the world ----------------------------------------------------------------------------------------
    def add_guild(self, guild_id: str | None = None, channel_ids: list[str] | None = None) -> str:
        """A guild (built on the recorded GUILD_CREATE) with text channels; returns its id."""
        guild = load("serenity_gateway_2017/guild_create_2.json")
        if guild_id is not None or self.guilds:
            guild["id"] = guild_id or self.snowflake()
        gid: str = guild["id"]
        everyone = load("serenity_gateway_2017/guild_delete_1.json")["roles"][0]
        guild["roles"] = [{**everyone, "id": gid, "permissions": "104324161", "colors": {"primary_color": 0}}]
        guild.update(
            stickers=[], threads=[], stage_instances=[], guild_scheduled_events=[], soundboard_sounds=[]
        )
        guild["application_id"] = None
        if channel_ids is None:
            channel_ids = (
                [
                    load("discordrb_json_examples/text_channel.json")["id"],
                    load("serenity_gateway_2017/channel_create_1.json")["id"],
                ]
                if not self.guilds
                else [self.snowflake()]
            )
        guild["channels"] = [self.text_channel(cid, gid, position=i) for i, cid in enumerate(channel_ids)]
        self.guilds[gid] = guild
        for channel in guild["channels"]:
            self.channels[channel["id"]] = channel
        return gid

    def text_channel(self, channel_id: str, guild_id: str, position: int = 0) -> dict[str, Any]:
        """A guild text channel built on the recorded one, with v10 overwrite types."""
        channel: dict[str, Any] = load("discordrb_json_examples/text_channel.json")
        channel.update(id=channel_id, guild_id=guild_id, position=position, name=f"papers-{position}")
        channel["permission_overwrites"] = [
            {**o, "type": 1 if o["type"] == "member" else 0, "allow": str(o["allow"]), "deny": str(o["deny"])}
            for o in channel["permission_overwrites"]
        ]
        channel["flags"] = 0
        return channel

    def add_thread(self, parent_id: str, thread_id: str | None = None) -> str:
        """A public thread under ``parent_id``; returns its id."""
        parent = self.channels[parent_id]
        tid = thread_id or self.snowflake()
        self.channels[tid] = {
            "id": tid,
            "guild_id": parent["guild_id"],
            "parent_id": parent_id,
            "owner_id": self.bot_user["id"],
            "name": "reading group",
            "type": 11,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
        }
        return tid

    def add_dm(self, user: dict[str, Any] | None = None) -> str:
        """A DM channel with ``user`` (the recorded discordrb user by default); returns its id."""
        cid = self.snowflake()
        recipient = user or load("discordrb_json_examples/user.json")
        self.channels[cid] = {
            "id": cid,
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [recipient],
        }
        return cid

    def script(self, channel_id: str, *replies: Scripted) -> None:
        """The next POSTs to the channel get these replies, in order, before any is accepted."""
        self.scripts.setdefault(channel_id, []).extend(replies)

    def remove_channel(self, channel_id: str) -> None:
        self.channels.pop(channel_id, None)

    # -- gateway ------------------------------------------------------------------------------------------
    async def drop_gateway(self, code: int = 1011) -> None:
        """Close every gateway connection with ``code`` (1011, a server error: discord.py reconnects
        and resumes)."""
        for conn in list(self._connections):
            await conn.ws.close(code=code)

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.gateway_failures:
            failure = self.gateway_failures.pop(0)
            self.gateway_failed += 1
            await self._notify()
            if failure == "refuse":
                return web.Response(status=503, text="upstream connect error")
            closed = web.WebSocketResponse()
            await closed.prepare(request)
            await closed.close(code=1011)
            return closed
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream"):
            await ws.close(code=4000, message=b"unsupported compression")
            return ws
        conn = _Connection(ws, compress)
        self._connections.append(conn)
        hello = load("official_docs_examples/gateway_hello_op10.json")
        hello["d"]["heartbeat_interval"] = self.heartbeat_interval_ms
        await conn.send({**hello, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                await self._gateway_message(conn, payload)
        finally:
            self._connections.remove(conn)
        return ws

    async def _gateway_message(self, conn: _Connection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        if op == 1:
            self.heartbeats += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
            await self._notify()
        elif op == 2:
            data = payload["d"]
            if data.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            self.identifies.append({k: v for k, v in data.items() if k != "token"})
            await conn.send({"op": 0, "t": "READY", "d": self.ready_payload()})
            for guild in self.guilds.values():
                await conn.send({"op": 0, "t": "GUILD_CREATE", "d": guild})
            self.ready.set()
            await self._notify()
        elif op == 6:
            await conn.send({"op": 0, "t": "RESUMED", "d": {}})
            self.resumes += 1
            await self._notify()

    def ready_payload(self) -> dict[str, Any]:
        """READY built on the recorded one, with the v10 fields discord.py reads."""
        ready: dict[str, Any] = load("serenity_gateway_2017/ready_1.json")
        for gone in ("user_settings", "relationships", "presences"):
            ready.pop(gone, None)
        ready.update(
            v=10,
            user=self.bot_user,
            session_id=uuid4().hex,
            resume_gateway_url=self.gateway_url,
            application={"id": self.application_id, "flags": 0},
            guilds=[{"id": gid, "unavailable": True} for gid in self.guilds],
            private_channels=[],
        )
        return ready

    @property
    def connected(self) -> int:
        """Gateway connections open now."""
        return len(self._connections)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH to every connected client."""
        if not self._connections:
            raise RuntimeError("no client is connected to the fake gateway")
        for conn in list(self._connections):
            await conn.send({"op": 0, "t": event, "d": data})

    async def guild_delete(self, guild_id: str) -> None:
        """The bot was removed from the guild (GUILD_DELETE without ``unavailable``)."""
        body = load("serenity_gateway_2017/guild_delete_1.json")
        guild = self.guilds.pop(guild_id)
        for channel in guild["channels"]:
            self.channels.pop(channel["id"], None)
        await self.dispatch("GUILD_DELETE", {"id": guild_id, **{k: body[k] for k in ("name",)}})

    # -- interactions -------------------------------------------------------------------------------------
    def interaction(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        kind: int = APPLICATION_COMMAND,
        channel_id: str | None = None,
        permissions: str = ALL_PERMISSIONS,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload built on the recorded slash-command interaction.

        ``kind`` 2 is a slash command, 4 an autocomplete; the channel decides guild, thread or DM.
        """
        payload: dict[str, Any] = load(
            "official_docs_examples/interaction_create_slash_command_cardsearch.json"
        )
        self._situate(payload, kind, channel_id or self.default_channel, permissions, locale)
        command_id = next((c["id"] for c in self.synced.get(None, []) if c["name"] == name), self.snowflake())
        payload["data"] = {"id": command_id, "name": name, "type": 1, "options": options or []}
        return payload

    def press(
        self,
        message: dict[str, Any],
        custom_id: str | None = None,
        *,
        channel_id: str | None = None,
        permissions: str = ALL_PERMISSIONS,
        locale: str = "en-US",
        component_type: int = 2,
    ) -> dict[str, Any]:
        """A button press as Discord sends it (INTERACTION_CREATE type 3), built on the recorded
        docs sample: ``message`` is the pressed message as Discord returned it (see ``created``),
        ``custom_id`` the button's (by default its first); the interaction comes from
        ``channel_id`` (by default the message's channel) by a member with ``permissions``."""
        payload: dict[str, Any] = load("official_docs_examples/interaction_create_button_click.json")
        self._situate(payload, COMPONENT, channel_id or message["channel_id"], permissions, locale)
        pressed = custom_id if custom_id is not None else custom_ids(message)[0]
        payload["message"] = message
        payload["data"] = {"custom_id": pressed, "component_type": component_type}
        return payload

    def _situate(
        self, payload: dict[str, Any], kind: int, channel_id: str, permissions: str, locale: str
    ) -> None:
        """Fill a recorded interaction in as coming now from ``channel_id`` (guild channel, thread or
        DM), with the v10 fields discord.py reads."""
        channel = self.channels[channel_id]
        payload.update(
            id=self.snowflake(),
            application_id=self.application_id,
            type=kind,
            token=f"{payload['token']}.{uuid4().hex}",
            version=1,
            locale=locale,
            channel_id=channel["id"],
            channel=channel,
            attachment_size_limit=8 * 1024 * 1024,
            entitlements=[],
            authorizing_integration_owners={"0": channel.get("guild_id", "0")},
        )
        if channel.get("guild_id"):
            payload["guild_id"] = channel["guild_id"]
            payload["context"] = 0
            payload["member"]["permissions"] = permissions
            payload["member"]["flags"] = 0
            payload["guild"] = {"id": channel["guild_id"], "locale": "en-US", "features": []}
        else:
            user = payload.pop("member")["user"]
            payload.pop("guild_id", None)
            payload.pop("guild_locale", None)
            payload["user"] = user
            payload["context"] = 1

    @staticmethod
    def option(name: str, value: Any, *, focused: bool = False, kind: int = 3) -> dict[str, Any]:
        option: dict[str, Any] = {"type": kind, "name": name, "value": value}
        if focused:
            option["focused"] = True
        return option

    async def interact(self, payload: dict[str, Any], within: float = 5.0) -> InteractionLog:
        """Deliver the interaction and wait for the bot's first response to it."""
        entry = self.interactions[payload["id"]] = InteractionLog(payload)
        await self.dispatch("INTERACTION_CREATE", payload)
        await self.wait_for(lambda: entry.responded, within)
        return entry

    def _by_token(self, token: str) -> InteractionLog | None:
        return next((e for e in self.interactions.values() if e.payload["token"] == token), None)

    # -- REST -----------------------------------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    @staticmethod
    def _unauthorized() -> web.Response:
        return json_response({"message": "401: Unauthorized", "code": 0}, 401)

    def _record(self, request: web.Request) -> None:
        self.requests.append((request.method, request.path))

    async def _me(self, request: web.Request) -> web.Response:
        self._record(request)
        if not self._authorized(request):
            return self._unauthorized()
        return json_response(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        self._record(request)
        if not self._authorized(request):
            return self._unauthorized()
        owner = load("discordrb_json_examples/user.json")
        return json_response(
            {
                "id": self.application_id,
                "name": self.bot_user["username"],
                "icon": None,
                "description": "arXiv digests",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner,
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
                "interactions_endpoint_url": None,
            }
        )

    async def _gateway_info(self, request: web.Request) -> web.Response:
        self._record(request)
        body: dict[str, Any] = {"url": self.gateway_url}
        if request.path.endswith("/bot"):
            if not self._authorized(request):
                return self._unauthorized()
            body.update(
                shards=1,
                session_start_limit={
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            )
        return json_response(body)

    async def _put_commands(self, request: web.Request) -> web.Response:
        self._record(request)
        if not self._authorized(request):
            return self._unauthorized()
        if self.sync_failures:
            reply = self.sync_failures.pop(0)
            await self._notify()
            return json_response(reply.body, reply.status, reply.headers)
        body = await request.json()
        if not isinstance(body, list) or len(body) > 100:
            return json_response(
                form_error([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."), 400
            )
        guild = request.match_info.get("guild")
        created = []
        for command in body:
            for key, limit in (("name", 32), ("description", 100)):
                if not 1 <= len(command.get(key, "")) <= limit:
                    return json_response(
                        form_error(
                            [key], "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {limit} in length."
                        ),
                        400,
                    )
            created.append(
                {
                    "id": self.snowflake(),
                    "application_id": self.application_id,
                    "version": self.snowflake(),
                    "type": 1,
                    "default_member_permissions": None,
                    "dm_permission": True,
                    "nsfw": False,
                    **({"guild_id": guild} if guild else {}),
                    **command,
                }
            )
        self.synced[guild] = created
        await self._notify()
        return json_response(created)

    async def _get_commands(self, request: web.Request) -> web.Response:
        self._record(request)
        return json_response(self.synced.get(None, []))

    def _message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = load("official_docs_examples/message_object_example.json")
        message.pop("reactions", None)
        message.update(
            id=self.snowflake(),
            channel_id=channel_id,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            author=self.bot_user,
            timestamp=datetime.now(UTC).isoformat(),
            flags=body.get("flags") or 0,
            components=body.get("components") or [],
        )
        return message

    def _created(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The message Discord creates for ``body``, kept under ``created``."""
        message = self._message(channel_id, body)
        self.created.setdefault(channel_id, []).append(message)
        return message

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            return dict(json.loads(str(form["payload_json"])))
        return dict(await request.json())

    async def _post_message(self, request: web.Request) -> web.Response:
        self._record(request)
        if not self._authorized(request):
            return self._unauthorized()
        channel_id = request.match_info["channel"]
        self.attempts[channel_id] = self.attempts.get(channel_id, 0) + 1
        queue = self.scripts.get(channel_id)
        if queue:
            reply = queue.pop(0)
            await self._notify()
            return json_response(reply.body, reply.status, reply.headers)
        if channel_id not in self.channels:
            return json_response(unknown_channel().body, 404)
        body = await self._body(request)
        error = validate_message(body)
        if error is not None:
            return json_response(error, 400)
        self.messages.setdefault(channel_id, []).append(body)
        message = self._created(channel_id, body)
        await self._notify()
        return json_response(
            message,
            headers={
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset-After": "1",
                "X-RateLimit-Reset": str(time.time() + 1),
                "X-RateLimit-Bucket": "fake-channel-messages",
            },
        )

    async def _callback(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        entry = self.interactions.get(request.match_info["id"])
        if entry is None or entry.payload["token"] != request.match_info["token"]:
            return json_response({"message": "Unknown interaction", "code": 10062}, 404)
        if entry.callbacks:
            return json_response(
                {"message": "Interaction has already been acknowledged.", "code": 40060}, 400
            )
        body = await self._body(request)
        kind = body.get("type")
        data = body.get("data") or {}
        allowed = CALLBACK_TYPES.get(entry.payload["type"], set())
        error: dict[str, Any] | None = None
        if kind not in allowed:
            error = form_error(
                ["type"], "BASE_TYPE_CHOICES", f"Value must be one of {sorted(allowed)} for this interaction."
            )
        elif kind == 4:
            error = validate_message(data)
        elif kind == 7:
            error = validate_message({"content": "x", **data})
        elif kind == 8:
            error = validate_choices(body)
        if error is not None:
            return json_response(error, 400)
        entry.callbacks.append(body)
        if kind == 4:
            self._created(entry.payload["channel_id"], data)
        await self._notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        interaction = {
            "id": entry.payload["id"],
            "type": entry.payload["type"],
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
        }
        reply: dict[str, Any] = {"interaction": interaction}
        if kind in (4, 5):
            message = self._message(entry.payload["channel_id"], data)
            interaction["response_message_id"] = message["id"]
            reply["resource"] = {"type": kind, "message": message}
        return json_response(reply)

    async def _followup(self, request: web.Request) -> web.Response:
        self._record(request)
        entry = self._by_token(request.match_info["token"])
        if entry is None or not entry.callbacks or request.match_info["app"] != self.application_id:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        body = await self._body(request)
        error = validate_message(body)
        if error is not None:
            return json_response(error, 400)
        entry.followups.append(body)
        message = self._created(entry.payload["channel_id"], body)
        await self._notify()
        return json_response(message)

    async def _edit(self, request: web.Request) -> web.Response:
        self._record(request)
        entry = self._by_token(request.match_info["token"])
        if entry is None or not entry.callbacks:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        body = await self._body(request)
        error = validate_message({"content": "x", **body})
        if error is not None:
            return json_response(error, 400)
        entry.edits.append(body)
        await self._notify()
        return json_response(self._message(entry.payload["channel_id"], body))

    async def _delete(self, request: web.Request) -> web.Response:
        self._record(request)
        entry = self._by_token(request.match_info["token"])
        if entry is None or not entry.callbacks:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        entry.deleted_original = True
        await self._notify()
        return web.Response(status=204)

    async def _not_found(self, request: web.Request) -> web.Response:
        self._record(request)
        return json_response({"message": "404: Not Found", "code": 0}, 404)
