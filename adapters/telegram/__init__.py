"""Telegram: the bot in chats (python-telegram-bot), its renderer, flood limits and delivery."""
