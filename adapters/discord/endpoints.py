"""Where discord.py connects: its REST base URL and its gateway URL.

discord.py keeps both as class attributes (``discord.http.Route.BASE`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``); they are set here, in one place, from
``DISCORD_API_URL`` and ``DISCORD_GATEWAY_URL``.
"""

from __future__ import annotations

from dataclasses import dataclass

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


@dataclass(frozen=True, slots=True)
class Endpoints:
    api_url: str
    gateway_url: str


def current_endpoints() -> Endpoints:
    """The URLs discord.py uses now."""
    return Endpoints(Route.BASE, str(DiscordWebSocket.DEFAULT_GATEWAY))


def configure_endpoints(api_url: str, gateway_url: str) -> Endpoints:
    """Point discord.py at ``api_url`` (e.g. ``https://discord.com/api/v10``) and ``gateway_url``;
    returns the previous endpoints so a caller can put them back."""
    previous = current_endpoints()
    Route.BASE = api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    return previous


def restore_endpoints(previous: Endpoints) -> None:
    Route.BASE = previous.api_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(previous.gateway_url)
