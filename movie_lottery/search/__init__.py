"""Kinopoisk search behind the database cache and the quota pause."""
