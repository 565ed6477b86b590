"""The SIP side of the end-to-end tests: numberdesk served over HTTP, Kamailio with
``deploy/kamailio/kamailio.cfg`` in front of it, and SIPp playing the phones and the carrier."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template

import httpx

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "kamailio" / "kamailio.cfg"
SCENARIOS = Path(__file__).resolve().parent / "sipp"
ADMIN_TOKEN = "e2e-admin-token"
_SCENARIOS_MADE = itertools.count(1)  # each SIPp run's scenario file and message log
MISSING = [tool for tool in ("kamailio", "sipp") if shutil.which(tool) is None]


def free_udp_port() -> int:
    """A UDP port nothing listens on now (for Kamailio and SIPp)."""
    return free_port(socket.SOCK_DGRAM)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nothing listens on now (TCP or UDP)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 15)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()


@contextlib.contextmanager
def numberdesk(folder: Path) -> Iterator[str]:
    """``numberdesk serve`` on a new SQLite database in ``folder``; yields its URL."""
    with serving(folder, workers=1) as (url, _process):
        yield url


@contextlib.contextmanager
def serving(folder: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``numberdesk serve --workers N`` on a new SQLite database in ``folder`` (its output in
    ``folder/numberdesk.log``), once it answers; yields its URL and its process."""
    port = free_port()
    env = dict(
        os.environ,
        NUMBERDESK_DATABASE_URL=f"sqlite:///{folder / 'numberdesk.db'}",
        NUMBERDESK_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    command = [str(Path(sys.executable).parent / "numberdesk")]
    subprocess.run([*command, "db", "upgrade"], env=env, check=True, capture_output=True)
    command += ["serve", "--port", str(port), "--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    with _running(command, env, folder / "numberdesk.log", lambda: _healthy(url)) as process:
        yield url, process


@dataclass(frozen=True)
class Kamailio:
    """Where Kamailio listens: the agents' phones and the carrier's trunk."""

    agents: int
    trunk: int
    carrier: int  # where calls to the carrier go (a SIPp playing the carrier listens there)
    voicemail: int  # where voicemail calls go (a SIPp playing the voicemail server)
    log: Path


@contextlib.contextmanager
def kamailio(folder: Path, numberdesk_url: str, api_key: str) -> Iterator[Kamailio]:
    """Kamailio on ``deploy/kamailio/kamailio.cfg``, asking ``numberdesk_url`` with ``api_key``."""
    folder.mkdir(exist_ok=True)
    agents, trunk, carrier, voicemail = (free_udp_port() for _ in range(4))
    sip = Kamailio(agents, trunk, carrier, voicemail, folder / "kamailio.log")
    defines = {
        "AGENTS": f"udp:127.0.0.1:{sip.agents}",
        "TRUNK": f"udp:127.0.0.1:{sip.trunk}",
        "CARRIER": f'"127.0.0.1:{sip.carrier}"',
        "VOICEMAIL": f'"sip:voicemail@127.0.0.1:{sip.voicemail}"',
        "NUMBERDESK_URL": f'"{numberdesk_url}"',
    }
    command = ["kamailio", "-f", str(CONFIG), "-DD", "-E", "-m", "64", "-M", "8"]
    command += ["-Y", str(folder), "-w", str(folder)]
    for name, value in defines.items():
        command += ["-A", f"{name}={value}"]
    env = dict(os.environ, NUMBERDESK_API_KEY=api_key)
    with _running(command, env, sip.log, lambda: _answers_options(sip.agents)):
        yield sip


@contextlib.contextmanager
def _running(
    command: list[str], env: dict[str, str], log: Path, ready: Callable[[], bool]
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` running in a process group of its own, its output in ``log``, once
    ``ready()`` (at most 30 s; its log in the error when it stops first); stopped after."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_for(ready, process, log)
            yield process
        finally:
            _stop(process)


def _healthy(url: str) -> bool:
    """Whether numberdesk at ``url`` answers its health check."""
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/healthz").status_code == 200
    return False


def _answers_options(port: int) -> bool:
    """Whether a SIP OPTIONS to ``port`` gets an answer (Kamailio is up)."""
    request = (
        f"OPTIONS sip:ping@127.0.0.1:{port} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKping\r\n"
        "From: <sip:ping@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\n"
        "Call-ID: ping\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ping:
        ping.settimeout(0.3)
        ping.sendto(request.encode(), ("127.0.0.1", port))
        with contextlib.suppress(OSError):
            return ping.recv(4096).startswith(b"SIP/2.0")
    return False


def _wait_for(ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} stopped: {log.read_text()}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{process.args!r} did not start in 30 s: {log.read_text()}")


@dataclass
class Phone:
    """A SIPp playing a phone: placing a call, or waiting for one on ``port``."""

    process: subprocess.Popen[bytes]
    messages: Path
    port: int

    def finished(self, timeout: float = 20) -> str:
        """Wait for the scenario's end; the SIP messages it saw. Fails when SIPp did."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(self.process)
            code = -1
        messages = self.messages.read_text() if self.messages.exists() else ""
        assert code == 0, f"SIPp's scenario failed ({code}):\n{messages}"
        return messages


def sipp(
    folder: Path,
    scenario: str,
    *,
    port: int | None = None,
    to: str | None = None,
    target: int | None = None,
    values: dict[str, str] | None = None,
) -> Phone:
    """Start SIPp on ``scenario`` (its ``$NAME`` placeholders filled from ``values``; ``$HEADERS``,
    the INVITE's extra header, defaults to a Subject): a phone that waits on ``port``, or that
    calls ``to`` through Kamailio's ``target`` port."""
    port = port or free_udp_port()
    filled = {"HEADERS": "Subject: numberdesk end-to-end", **(values or {})}
    text = Template((SCENARIOS / f"{scenario}.xml").read_text()).substitute(filled)
    made = folder / f"{scenario}-{next(_SCENARIOS_MADE)}.xml"
    made.write_text(text)
    messages = folder / f"{made.stem}-messages.log"
    command = ["sipp", "-sf", str(made), "-i", "127.0.0.1", "-p", str(port), "-m", "1"]
    command += ["-timeout", "15s", "-timeout_error", "-nostdin", "-trace_msg"]
    command += ["-message_file", str(messages)]
    if to is not None:
        command += ["-s", to, f"127.0.0.1:{target}"]
    process = subprocess.Popen(
        command,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return Phone(process, messages, port)
