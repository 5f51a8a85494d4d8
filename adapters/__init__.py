"""Platform adapters (Telegram, Discord, the terminal), the command line and the wiring."""
