"""Secrets and access: SECRET_KEY, the admin password or an open site, the API token; from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from movie_lottery.ops.doctor.verdicts import Check, fail, ok, warn

MIN_SECRET_KEY_CHARS = 32
MIN_API_TOKEN_CHARS = 20


def secret_checks(config: Mapping[str, Any], instance_path: Path) -> list[Check]:
    return [secret_key_check(config, instance_path), access_check(config), api_token_check(config)]


def secret_key_check(config: Mapping[str, Any], instance_path: Path) -> Check:
    name = "SECRET_KEY"
    key = str(config.get("SECRET_KEY") or "")
    on_render = bool(config.get("RUNNING_ON_RENDER"))
    key_file = instance_path / "secret_key"
    from_file = key_file.exists() and key_file.read_text().strip() == key
    if not key:
        return fail(name, "не задан: сессии подделать проще простого", "Задайте SECRET_KEY")
    if from_file and on_render:
        return fail(
            name,
            "ключ из файла instance/secret_key, сделанного для запуска на своём компьютере",
            "Задайте SECRET_KEY в окружении Render (render.yaml генерирует его: generateValue)",
        )
    if from_file:
        return ok(name, "из instance/secret_key: годится для запуска на своём компьютере")
    if len(key) < MIN_SECRET_KEY_CHARS:
        return warn(
            name,
            f"короче {MIN_SECRET_KEY_CHARS} символов",
            'Сгенерируйте: python -c "import secrets; print(secrets.token_urlsafe(48))"',
        )
    return ok(name, "задан в окружении")


def access_check(config: Mapping[str, Any]) -> Check:
    name = "Доступ"
    password, open_site = config.get("ADMIN_PASSWORD"), bool(config.get("OPEN_SITE"))
    if password and open_site:
        return warn(
            name, "закрыт паролем; OPEN_SITE=true при этом ничего не делает", "Уберите OPEN_SITE из окружения"
        )
    if password:
        return ok(name, "закрыт паролем администратора (ADMIN_PASSWORD)")
    if open_site:
        return warn(
            name,
            "открыт всем (OPEN_SITE=true, ADMIN_PASSWORD не задан): любой может удалять лотереи и библиотеку",
            "Задайте ADMIN_PASSWORD, если это не нарочно",
        )
    if config.get("RUNNING_ON_RENDER"):
        return fail(
            name,
            "ADMIN_PASSWORD не задан: сайт закрыт для всех, и войти в него нельзя",
            "Задайте ADMIN_PASSWORD в окружении Render (render.yaml генерирует его)",
        )
    return ok(name, "без пароля: открыт только браузеру на этом компьютере, для остальных закрыт")


def api_token_check(config: Mapping[str, Any]) -> Check:
    name = "API_TOKEN"
    token, password = config.get("API_TOKEN"), config.get("ADMIN_PASSWORD")
    if not token and password:
        return ok(name, "не задан: с паролем на сайте API доступно только из браузера администратора")
    if not token:
        return ok(name, "не задан (без ADMIN_PASSWORD он и не действует)")
    if not password:
        return warn(
            name, "задан, но без ADMIN_PASSWORD не действует", "Задайте ADMIN_PASSWORD или уберите API_TOKEN"
        )
    if token == password:
        return warn(name, "совпадает с ADMIN_PASSWORD", "Сделайте его отдельным: токен уходит в скрипты")
    if len(token) < MIN_API_TOKEN_CHARS:
        return warn(name, f"короче {MIN_API_TOKEN_CHARS} символов", "Сгенерируйте длинный случайный токен")
    return ok(name, "задан: скрипты входят с Authorization: Bearer")
