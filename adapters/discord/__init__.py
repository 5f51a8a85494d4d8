"""Discord: slash commands over the gateway, digests as embeds over REST (discord.py)."""

from adapters.discord.client import DigestClient, build_platform, run_discord
from adapters.discord.endpoints import configure_endpoints, restore_endpoints
from adapters.discord.platform import DiscordPlatform
from adapters.discord.render import RenderedDiscordMessage, render_digest

__all__ = [
    "DigestClient",
    "DiscordPlatform",
    "RenderedDiscordMessage",
    "build_platform",
    "configure_endpoints",
    "render_digest",
    "restore_endpoints",
    "run_discord",
]
