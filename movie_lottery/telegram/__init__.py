"""The Telegram bot and Mini App: the webhook's stored updates and their dispatcher, the stored outbox and its
sender, the webhook's registration. Everything that reaches Telegram goes through the background worker
(worker.py): requests only store rows and wake it. The Mini App's init-data check is Flask-free protocol code
(integrations/telegram_mini_app.py); the names it gives voters are a core rule (core/telegram_names.py)."""
