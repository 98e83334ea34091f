"""`habeas serve` starts a real server (bound to 127.0.0.1) that answers /healthz."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from habeas.config import project_root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    env = {**os.environ, "HABEAS_DATABASE_URL": url}
    habeas = [sys.executable, "-m", "habeas.cli.main"]
    subprocess.run([*habeas, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=project_root())
    port = free_port()
    proc = subprocess.Popen([*habeas, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=project_root(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    assert b'"database":true' in r.read().replace(b" ", b"")
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(proc.stdout.read().decode() if proc.poll() is not None else "server did not answer")
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5) as r:
            assert b"/api/v1/prisoners" in r.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
