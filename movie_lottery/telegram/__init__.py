"""The Telegram bot: the webhook's stored updates and their dispatcher, the stored outbox and its sender, the
webhook's registration. Everything that reaches Telegram goes through the background worker (worker.py):
requests only store rows and wake it."""
