"""Discord: slash commands over the gateway, digests as embeds over REST (discord.py)."""
