"""The backup file: writing it, checking it by the write path's rules, importing it; backup reminders."""
