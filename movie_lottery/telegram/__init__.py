"""The Telegram bot and Mini App: webhook handling, the stored outbox and its sender, the init-data check."""
