"""Run a REAL qbittorrent-nox for tests, locked to loopback.

Started without a config, qbittorrent-nox listens on every interface with admin/adminadmin and turns on DHT,
LSD and UPnP, which send traffic off the machine. So the config is written BEFORE the first start (no DHT,
PeX, LSD, UPnP, NAT-PMP; BitTorrent bound to ``lo``; WebUI on 127.0.0.1), both ports are below 32768, and
after every start the preferences are read back over the API: if any of that is not so, the process is
stopped and ``UnsafeQbittorrentConfigError`` is raised before a test can use it.

Usage::

    with QbittorrentNox() as nox:
        client = TorrentClient(nox.host, nox.port, nox.username, nox.password)
        nox.stop(); nox.start()   # restart with the same profile, torrents and ports

``QbittorrentNox(https=True)`` serves the WebUI over HTTPS with a self-signed certificate for 127.0.0.1,
made in the profile by the ``openssl`` command line (``nox.certificate``), as a home server often does.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.cookiejar
import ipaddress
import json
import os
import random
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Self

LOOPBACK = "127.0.0.1"
PORT_RANGE = (20000, 32000)
START_TIMEOUT = 10.0


class UnsafeQbittorrentConfigError(RuntimeError):
    """qbittorrent-nox is not locked to loopback; it has been stopped."""


def available() -> bool:
    return shutil.which("qbittorrent-nox") is not None


def pbkdf2_password(password: str, salt: bytes | None = None) -> str:
    """The ``WebUI\\Password_PBKDF2`` value qBittorrent 4.2+ expects (without the surrounding quotes)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100000, dklen=64)
    return f"@ByteArray({base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()})"


def make_self_signed_certificate(directory: Path, host: str = LOOPBACK) -> tuple[Path, Path]:
    """(certificate, key) PEM files for ``host``, valid for two days, made with the openssl command line."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command line is not installed")
    certificate, key = directory / "webui.crt", directory / "webui.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=IP:{host}", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    key.chmod(0o600)
    return certificate, key


def render_config(
    profile: Path,
    webui_port: int,
    torrent_port: int,
    username: str,
    password: str,
    https: tuple[Path, Path] | None = None,
) -> str:
    downloads = profile / "downloads"
    tls = []
    if https is not None:
        certificate, key = https
        tls = [
            "WebUI\\HTTPS\\Enabled=true",
            f"WebUI\\HTTPS\\CertificatePath={certificate}",
            f"WebUI\\HTTPS\\KeyPath={key}",
        ]
    return "\n".join(
        [
            "[LegalNotice]",
            "Accepted=true",
            "",
            "[BitTorrent]",
            "Session\\DHTEnabled=false",
            "Session\\PeXEnabled=false",
            "Session\\LSDEnabled=false",
            "Session\\Interface=lo",
            "Session\\InterfaceName=lo",
            f"Session\\InterfaceAddress={LOOPBACK}",
            f"Session\\Port={torrent_port}",
            "Session\\AnonymousModeEnabled=true",
            "Session\\AddTrackersEnabled=false",
            f"Session\\DefaultSavePath={downloads}",
            f"Session\\TempPath={downloads / 'incomplete'}",
            "",
            "[Network]",
            "PortForwardingEnabled=false",
            "",
            "[Preferences]",
            "Connection\\UPnP=false",
            "Connection\\ResolvePeerCountries=false",
            f"WebUI\\Address={LOOPBACK}",
            f"WebUI\\Port={webui_port}",
            "WebUI\\UseUPnP=false",
            f"WebUI\\Username={username}",
            f'WebUI\\Password_PBKDF2="{pbkdf2_password(password)}"',
            *tls,
            "",
        ]
    )


def verify_preferences(prefs: dict[str, Any], webui_port: int | None = None) -> list[str]:
    """Everything that is not locked down in ``/api/v2/app/preferences``; an empty list means safe.

    A missing field counts as a problem: a qBittorrent that does not report it cannot be trusted.
    """
    problems = []
    for field in ("dht", "pex", "lsd", "upnp", "web_ui_upnp", "enable_embedded_tracker"):
        if prefs.get(field) is not False:
            problems.append(f"{field}={prefs.get(field)!r} (must be false)")
    if prefs.get("current_network_interface") != "lo":
        problems.append(
            f"current_network_interface={prefs.get('current_network_interface')!r} (must be 'lo')"
        )
    if prefs.get("current_interface_address") not in (LOOPBACK, "::1"):
        problems.append(
            f"current_interface_address={prefs.get('current_interface_address')!r} (must be loopback)"
        )
    if prefs.get("web_ui_address") != LOOPBACK:
        problems.append(f"web_ui_address={prefs.get('web_ui_address')!r} (must be {LOOPBACK})")
    for field in ("listen_port", "web_ui_port"):
        value = prefs.get(field)
        if not isinstance(value, int) or not 0 < value < 32768:
            problems.append(f"{field}={value!r} (must be below 32768)")
    if webui_port is not None and prefs.get("web_ui_port") != webui_port:
        problems.append(f"web_ui_port={prefs.get('web_ui_port')!r} (expected {webui_port})")
    return problems


def socket_addresses(pid: int) -> list[str]:
    """``ip:port`` of every TCP/UDP socket the process holds, read from /proc (empty if not Linux)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in fd_dir.iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    addresses = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        with contextlib.suppress(OSError):
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
            for line in lines:
                fields = line.split()
                if len(fields) > 9 and fields[9] in inodes:
                    addresses.append(_decode_proc_address(fields[1]))
    return addresses


def _decode_proc_address(text: str) -> str:
    raw_ip, raw_port = text.split(":")
    packed = bytes.fromhex(raw_ip)
    # /proc stores the address as 32-bit words in host (little-endian) order.
    packed = b"".join(packed[i : i + 4][::-1] for i in range(0, len(packed), 4))
    family = socket.AF_INET if len(packed) == 4 else socket.AF_INET6
    return f"{socket.inet_ntop(family, packed)}:{int(raw_port, 16)}"


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.rsplit(":", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def _port_is_free(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                return False
    return True


def pick_free_ports(count: int, rng: random.Random | None = None) -> list[int]:
    """``count`` distinct ports in 20000-32000 that are free on loopback (TCP and UDP) right now."""
    rng = rng or random.SystemRandom()
    ports: list[int] = []
    for _ in range(500):
        port = rng.randint(*PORT_RANGE)
        if port not in ports and _port_is_free(port):
            ports.append(port)
            if len(ports) == count:
                return ports
    raise RuntimeError("no free loopback ports in 20000-32000")


class QbittorrentNox:
    """A throwaway qbittorrent-nox on 127.0.0.1 with its own profile directory."""

    def __init__(self, username: str = "lottery", password: str | None = None, https: bool = False) -> None:
        self.host = LOOPBACK
        self.username = username
        self.password = password or secrets.token_urlsafe(12)
        self.port, self.torrent_port = pick_free_ports(2)
        self.profile = Path(tempfile.mkdtemp(prefix="qbt-nox-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.preferences: dict[str, Any] = {}
        self.start_seconds: float | None = None
        config_dir = self.profile / "qBittorrent" / "config"
        config_dir.mkdir(parents=True)
        (self.profile / "downloads").mkdir()
        self.https = https
        self.certificate: Path | None = None
        tls = None
        if https:
            tls = make_self_signed_certificate(self.profile)
            self.certificate = tls[0]
        config = render_config(self.profile, self.port, self.torrent_port, self.username, self.password, tls)
        (config_dir / "qBittorrent.conf").write_text(config, encoding="utf-8")

    available = staticmethod(available)

    @property
    def url(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.host}:{self.port}"

    def _tls_context(self) -> ssl.SSLContext | None:
        """The fixture's own calls trust exactly the certificate it made (never verification off)."""
        return ssl.create_default_context(cafile=str(self.certificate)) if self.certificate else None

    def start(self) -> Self:
        if self.process is not None:
            raise RuntimeError("qbittorrent-nox is already running")
        executable = shutil.which("qbittorrent-nox")
        if executable is None:
            raise RuntimeError("qbittorrent-nox is not installed")
        if not (self.profile / "qBittorrent" / "config" / "qBittorrent.conf").is_file():
            raise UnsafeQbittorrentConfigError(
                "refusing to start qbittorrent-nox without its locked-down config"
            )
        # No QBT_* overrides from the environment, and HOME inside the profile so nothing lands elsewhere.
        env = {key: value for key, value in os.environ.items() if not key.upper().startswith("QBT_")}
        env.update(HOME=str(self.profile), XDG_CONFIG_HOME=str(self.profile), XDG_DATA_HOME=str(self.profile))
        log = open(self.profile / "nox.log", "ab")  # noqa: SIM115 - handed to the child
        started = time.monotonic()
        try:
            self.process = subprocess.Popen(
                [executable, f"--profile={self.profile}", f"--webui-port={self.port}"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            self._wait_until_up(started)
            self.preferences = self._read_preferences()
            problems = verify_preferences(self.preferences, webui_port=self.port)
            problems += [f"socket bound to {address}" for address in self.non_loopback_sockets()]
            if self.https and self.preferences.get("use_https") is not True:
                problems.append(f"use_https={self.preferences.get('use_https')!r} (HTTPS was asked for)")
            if problems:
                raise UnsafeQbittorrentConfigError(
                    "qbittorrent-nox is not locked down: " + "; ".join(problems)
                )
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 10 s). The profile, torrents and ports are kept for start()."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()

    def non_loopback_sockets(self) -> list[str]:
        """Local addresses of the process's TCP/UDP sockets that are not loopback (Linux /proc)."""
        if self.process is None:
            return []
        return [address for address in socket_addresses(self.process.pid) if not _is_loopback(address)]

    def log_text(self) -> str:
        path = self.profile / "nox.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- internals ----------------------------------------------------------------------------------

    def _wait_until_up(self, started: float) -> None:
        deadline = started + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise RuntimeError(f"qbittorrent-nox exited with {code}: {self.log_text()[-2000:]}")
            try:
                url = f"{self.url}/api/v2/app/webapiVersion"
                with urllib.request.urlopen(url, timeout=1, context=self._tls_context()):
                    return
            except urllib.error.HTTPError:
                return  # 403 before login: the WebUI is answering
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"qbittorrent-nox WebUI did not answer within {START_TIMEOUT:.0f} s")

    def _read_preferences(self) -> dict[str, Any]:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=self._tls_context())
        )
        form = urllib.parse.urlencode({"username": self.username, "password": self.password}).encode()
        login = urllib.request.Request(
            f"{self.url}/api/v2/auth/login", data=form, headers={"Referer": self.url}
        )
        with opener.open(login, timeout=5) as response:
            answer = response.read().decode()
        if answer.strip() != "Ok.":
            raise UnsafeQbittorrentConfigError(f"cannot log in to check the preferences: {answer!r}")
        with opener.open(f"{self.url}/api/v2/app/preferences", timeout=5) as response:
            prefs = json.loads(response.read().decode())
        if not isinstance(prefs, dict):
            raise UnsafeQbittorrentConfigError("preferences are not a JSON object")
        return prefs
