"""A real Kannel on free loopback ports: bearerbox + smsbox + fakesmsc, and a DLR receiver (kannel.md).

Register it in a folder's conftest.py with `from tests.kannel_gateway import kannel_gateway  # noqa: F401`.
One gateway per pytest process, however many conftests register it; it stops when pytest ends. The
gateway is shared: tests tell their messages apart by receiver number (`to=`) and reference (`mid=`)."""

from __future__ import annotations

import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

import pytest

from tests.components import require

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
KANNEL = (BEARERBOX, SMSBOX, FAKESMSC)
START_DEADLINE = 20.0  # seconds; kannel.md measured about 1.2 s
STOP_DEADLINE = 5.0  # then SIGKILL (kannel.md: hangs were seen)
POLL = 0.01
USERNAME = "tester"
USER_ENV, PASSWORD_ENV = "SMSOPS_KANNEL_USER", "SMSOPS_KANNEL_PASSWORD"

CONFIG = """\
group = core
admin-interface = 127.0.0.1
admin-port = {admin}
admin-password = {admin_password}
status-password = {status_password}
smsbox-interface = 127.0.0.1
smsbox-port = {box}
box-allow-ip = 127.0.0.1

group = smsc
smsc = fake
smsc-id = fake1
denied-smsc-id = fakemo
our-host = 127.0.0.1
port = {fake}
connect-allow-ip = 127.0.0.1

group = smsc
smsc = fake
smsc-id = fakemo
allowed-smsc-id = fakemo
our-host = 127.0.0.1
port = {fakemo}
connect-allow-ip = 127.0.0.1

group = smsbox
smsbox-id = sb1
bearerbox-host = 127.0.0.1
bearerbox-port = {box}
sendsms-interface = 127.0.0.1
sendsms-port = {sendsms}
mo-recode = true

group = smsbox-route
smsbox-id = sb1
smsc-id = "fake1;fakemo"

group = sendsms-user
username = {username}
password = {password}
max-messages = 10
concatenation = true

group = sms-service
keyword = stop
get-url = "{mo_stop}"
max-messages = 0

group = sms-service
keyword = default
{mo_default}
max-messages = 0
"""

GOT = re.compile(r"Got message \d+: <(.*)>$")
SHAPE = re.compile(r"(\S+) (\S+) (text|data|ucs-2|udh) ?(.*)$", re.DOTALL)


class Received(NamedTuple):
    sender: str
    to: str
    text: str


class Callback(NamedTuple):
    path: str
    query: dict[str, str]
    body: bytes


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: list[Callback] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as smsbox uses it
    server: _Receiver

    def do_GET(self) -> None:
        self._collect(b"")

    def do_POST(self) -> None:
        self._collect(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _collect(self, body: bytes) -> None:
        url = urlsplit(self.path)
        call = Callback(url.path, dict(parse_qsl(url.query, keep_blank_values=True)), body)
        with self.server.lock:
            self.server.calls.append(call)
        # kannel.md pitfalls: status line, headers and body in one write, or keep-alive stalls ~40 ms
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class KannelGateway:
    directory: Path
    ports: dict[str, int]
    password: str
    status_password: str
    receiver: _Receiver
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    username: str = USERNAME
    mo_url: str | None = None  # where replies go (`from`, `to`, `text` appended); else the receiver

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"

    @property
    def dlr_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['receiver']}/dlr"

    @property
    def mo_port(self) -> int:
        """The `fakemo` link: connect and write `<from> <to> text <message>\\n` to inject an MO."""
        return self.ports["fakemo"]

    @property
    def env(self) -> dict[str, str]:
        return {USER_ENV: self.username, PASSWORD_ENV: self.password}

    def config(self, dlr_url: str | None = None, **overrides: Any) -> dict[str, Any]:
        """A `providers.kannel` mapping of smsops.yaml pointing at this gateway."""
        return {"url": self.sendsms_url, "username_env": USER_ENV, "password_env": PASSWORD_ENV,
                "dlr_url": dlr_url or self.dlr_url, "rate_per_second": 100, "price_eur_per_part": 0.045,
                "max_parts": 10} | overrides

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.ports['admin']}/status.txt?password={self.status_password}"
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode("utf-8", "replace"))

    def parts(self) -> list[str]:
        """Every SMS fakesmsc got, as printed: `<from> <to> text|ucs-2|data|udh … …` (one per part)."""
        lines = (self.directory / "fakesmsc.log").read_text(encoding="utf-8", errors="replace").splitlines()
        found: list[str] = []
        for line in lines:
            got = GOT.search(line)
            if got and (SHAPE.match(got[1]) or not found):
                found.append(got[1])
            elif got:  # a newline in a `text` message: fakesmsc reads it as a message of its own
                found[-1] += "\n" + got[1]
        return found

    def received(self) -> list[Received]:
        """One (sender, to, text) per logical message, concatenated parts joined by their UDH reference."""
        return reassemble(self.parts())

    def wait_received(self, n: int, deadline: float = 10.0, *, to: str | None = None) -> list[Received]:
        """Poll until at least n logical messages (to `to`, if given) arrived; `deadline` in seconds."""
        return _wait(lambda: [r for r in self.received() if to is None or r.to == to], n, deadline, "SMS")

    def callbacks(self) -> list[Callback]:
        with self.receiver.lock:
            return list(self.receiver.calls)

    def dlrs(self, mid: str | None = None) -> list[dict[str, str]]:
        """Query dicts of the dlr-url callbacks received so far (only those for `mid`, if given)."""
        return [c.query for c in self.callbacks() if c.path == "/dlr" and mid in (None, c.query.get("mid"))]

    def wait_dlrs(self, n: int, deadline: float = 10.0, *, mid: str | None = None) -> list[dict[str, str]]:
        return _wait(lambda: self.dlrs(mid), n, deadline, "DLR")

    def start(self) -> None:
        conf = self.directory / "kannel.conf"
        receiver = f"http://127.0.0.1:{self.ports['receiver']}"
        mo_stop, mo_default = (
            (f"{self.mo_url}&from=%p&to=%P&text=%a",) * 2 if self.mo_url else
            (f"{receiver}/mo/stop?from=%p&to=%P&text=%a&smsc=%i",
             f"{receiver}/mo/default?from=%p&to=%P"))
        mo_default = f'{"get-url" if self.mo_url else "post-url"} = "{mo_default}"'
        conf.write_text(CONFIG.format(**self.ports, username=self.username, password=self.password,
                                      mo_stop=mo_stop, mo_default=mo_default,
                                      admin_password=secrets.token_hex(8),
                                      status_password=self.status_password), encoding="utf-8")
        self._spawn("bearerbox", str(BEARERBOX), "-v", "2", str(conf))
        self._until(lambda status: "Status: running" in status, "bearerbox running")
        self._spawn("smsbox", str(SMSBOX), "-v", "2", str(conf))
        self._spawn("fakesmsc", str(FAKESMSC), "-H", "127.0.0.1", "-r", str(self.ports["fake"]), "-v", "0",
                    "-m", "0", "x y text unused")
        self._until(lambda status: "smsbox:sb1" in status
                    and re.search(r"^\s*fake1\[fake1\].*\(online", status, re.MULTILINE) is not None,
                    "smsbox connected and fakesmsc online")

    def _spawn(self, name: str, *argv: str) -> None:
        with open(self.directory / f"{name}.log", "wb") as log:  # fakesmsc prints the MTs on stderr
            self.processes[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                                    cwd=self.directory)

    def _until(self, ready: Callable[[str], bool], what: str) -> None:
        end = time.monotonic() + START_DEADLINE
        status = ""
        while time.monotonic() < end:
            dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
            if dead:
                raise RuntimeError(f"Kannel exited before {what}: {dead}\n{self.logs()}")
            try:
                status = self.status()
            except OSError:
                status = ""
            if ready(status):
                return
            time.sleep(POLL)
        raise RuntimeError(f"Kannel not ready ({what}) after {START_DEADLINE} s\n{status}\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(f"--- {name}.log\n" + "\n".join(
            (self.directory / f"{name}.log").read_text(errors="replace").splitlines()[-20:])
            for name in self.processes)

    def stop(self) -> None:
        for name in ("smsbox", "bearerbox", "fakesmsc"):  # fakesmsc usually exits with bearerbox
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.receiver.shutdown()
        self.receiver.server_close()


def reassemble(parts: list[str]) -> list[Received]:
    """Logical messages from fakesmsc lines, in the order of their first part."""
    done: list[tuple[int, Received]] = []
    open_groups: dict[tuple[str, str, int, int], tuple[int, dict[int, bytes]]] = {}
    for position, line in enumerate(parts):
        shape = SHAPE.match(line)
        if shape is None:
            continue
        sender, to, kind, rest = shape.groups()
        if kind != "udh":
            done.append((position, Received(sender, to, _single(kind, rest))))
            continue
        udh, _, data = rest.partition(" data ")
        concat = _concatenation(_bytes(udh))
        if concat is None:
            done.append((position, Received(sender, to, _text(_bytes(data)))))
            continue
        ref, total, seq = concat
        key = (sender, to, ref, total)
        first, chunks = open_groups.get(key, (position, {}))
        if seq in chunks:  # the same part again: a new copy of the message starts
            first, chunks = position, {}
        chunks[seq] = _bytes(data)
        open_groups[key] = (first, chunks)
        if len(chunks) == total:
            del open_groups[key]
            done.append((first, Received(sender, to, _text(b"".join(chunks[i] for i in sorted(chunks))))))
    return [received for _, received in sorted(done, key=lambda item: item[0])]


def _single(kind: str, rest: str) -> str:
    if kind == "text":
        return rest
    return _bytes(rest).decode("utf-16-be") if kind == "ucs-2" else _text(_bytes(rest))


def _bytes(urlencoded: str) -> bytes:
    return unquote_to_bytes(urlencoded.replace("+", " "))


def _text(data: bytes) -> str:
    """fakesmsc does not print the coding of a `udh` message: GSM-7 text comes as UTF-8 (Kannel's
    internal form), UCS-2 as UTF-16BE, which has NUL bytes for Latin text or is not valid UTF-8."""
    if b"\x00" not in data:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.decode("utf-16-be")


def _concatenation(udh: bytes) -> tuple[int, int, int] | None:
    """(reference, total, sequence) from the 8-bit (IEI 0) or 16-bit (IEI 8) concatenation element."""
    index = 1
    while index + 1 < len(udh):
        iei, length = udh[index], udh[index + 1]
        value = udh[index + 2: index + 2 + length]
        if iei == 0 and length == 3:
            return value[0], value[1], value[2]
        if iei == 8 and length == 4:
            return int.from_bytes(value[:2], "big"), value[2], value[3]
        index += 2 + length
    return None


def _wait(poll: Callable[[], list[Any]], n: int, deadline: float, what: str) -> list[Any]:
    end = time.monotonic() + deadline
    while True:
        found = poll()
        if len(found) >= n:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"expected {n} {what} within {deadline} s, got {len(found)}: {found}")
        time.sleep(POLL)


def _free_ports(names: list[str]) -> dict[str, int]:
    sockets = [socket.socket() for _ in names]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return {name: sock.getsockname()[1] for name, sock in zip(names, sockets, strict=True)}
    finally:
        for sock in sockets:
            sock.close()


_running: KannelGateway | None = None


def start_gateway(directory: Path, mo_url: str | None = None) -> KannelGateway:
    receiver = _Receiver()
    threading.Thread(target=receiver.serve_forever, args=(POLL,), name="kannel-receiver", daemon=True).start()
    ports = _free_ports(["admin", "box", "fake", "fakemo", "sendsms"])
    gateway = KannelGateway(directory, ports | {"receiver": receiver.server_address[1]},
                            password=secrets.token_hex(8), status_password=secrets.token_hex(8),
                            receiver=receiver, mo_url=mo_url)
    try:
        gateway.start()
    except BaseException:
        gateway.stop()
        raise
    return gateway


@pytest.fixture(scope="session")
def kannel_gateway(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[KannelGateway]:
    global _running
    if _running is None:
        require("Kannel", *KANNEL)
        _running = start_gateway(tmp_path_factory.mktemp("kannel"))
        request.config.add_cleanup(_running.stop)
    yield _running
