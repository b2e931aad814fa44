"""The mailman role's Postfix queue flusher (files/libexec/mailman-flush-postfix-queue), run for
real against a local LMTP-like listener and stand-ins for postfix(1) and postqueue(1) that log
how they were called."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "mailman" / "files" / "libexec" / "mailman-flush-postfix-queue"


def load():
    loader = SourceFileLoader("mailman_flush_postfix_queue", str(SCRIPT))
    module = module_from_spec(spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


@contextlib.contextmanager
def listener(greeting: bytes):
    """A TCP server on loopback that greets each client with `greeting`; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _address = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(greeting)
                with contextlib.suppress(OSError):
                    conn.recv(64)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


def fake(path: Path, log: Path, stdout: str = "", rc: int = 0) -> str:
    path.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {log}\nprintf '%s' '{stdout}'\nexit {rc}\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def node(tmp_path, monkeypatch):
    """The script with postfix(1) running and postqueue(1) listing `deferred` messages."""
    module = load()
    log = tmp_path / "calls"
    log.touch()

    def setup(deferred: int = 2, postfix_rc: int = 0):
        lines = [{"queue_name": "deferred", "queue_id": f"A{i}"} for i in range(deferred)]
        lines.append({"queue_name": "active", "queue_id": "B1"})
        monkeypatch.setattr(module, "POSTFIX", fake(tmp_path / "postfix", log, rc=postfix_rc))
        monkeypatch.setattr(
            module, "POSTQUEUE", fake(tmp_path / "postqueue", log, "\n".join(json.dumps(line) for line in lines))
        )
        return module, log

    return setup


def run(module, monkeypatch, *args: str) -> int:
    monkeypatch.setattr(module.sys, "argv", ["mailman-flush-postfix-queue", *args])
    return module.main()


def calls(log: Path) -> list[str]:
    return [line.split("/")[-1] for line in log.read_text().splitlines()]


def test_flushes_deferred_mail_once_lmtp_answers(node, monkeypatch, capsys):
    module, log = node(deferred=2)
    with listener(b"220 mail.example.test GNU Mailman LMTP runner 2.0 ready\r\n") as port:
        assert run(module, monkeypatch, "127.0.0.1", str(port), "10") == 0
    assert calls(log) == ["postfix status", "postqueue -j", "postqueue -f"]
    assert "deliver 2 deferred messages now" in capsys.readouterr().out


def test_nothing_deferred_nothing_flushed(node, monkeypatch, capsys):
    module, log = node(deferred=0)
    with listener(b"220 ready\r\n") as port:
        assert run(module, monkeypatch, "127.0.0.1", str(port), "10") == 0
    assert "postqueue -f" not in calls(log)
    assert "no deferred mail" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("greeting", "postfix_rc"),
    [(None, 0), (b"421 too busy\r\n", 0), (b"220 ready\r\n", 1)],
    ids=["lmtp-port-closed", "lmtp-not-ready", "postfix-down"],
)
def test_gives_up_without_flushing_when_lmtp_or_postfix_stays_down(node, monkeypatch, capsys, greeting, postfix_rc):
    module, log = node(deferred=3, postfix_rc=postfix_rc)
    if greeting is None:
        with socket.create_server(("127.0.0.1", 0)) as probe:
            port = probe.getsockname()[1]
        rc = run(module, monkeypatch, "127.0.0.1", str(port), "1.5")
    else:
        with listener(greeting) as port:
            rc = run(module, monkeypatch, "127.0.0.1", str(port), "1.5")
    assert rc == 1
    assert not any(call.startswith("postqueue") for call in calls(log))
    assert "deferred mail waits for Postfix's next retry" in capsys.readouterr().out


def test_without_postfix_there_is_nothing_to_do(node, monkeypatch, tmp_path, capsys):
    module, _log = node()
    monkeypatch.setattr(module, "POSTQUEUE", str(tmp_path / "missing"))
    assert run(module, monkeypatch, "127.0.0.1", "1", "1") == 0
    assert "no Postfix on this node" in capsys.readouterr().out


def test_usage(node, monkeypatch):
    module, _log = node()
    with pytest.raises(SystemExit, match="usage: mailman-flush-postfix-queue HOST PORT"):
        run(module, monkeypatch, "127.0.0.1")
