"""Throughput of the authenticated landing page against a bare Flask JSON route.

Both are served by the same gunicorn setup (sync workers, as in production) on loopback and
loaded by the same client in the same run; the ratio is what to compare between runs, not
the absolute numbers, which depend on the machine.

    .venv/bin/python bench/landing.py [--seconds 5] [--clients 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEMO_USER = ("klient.demo", "demo-klient-lindvik")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def gunicorn(target: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        target,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    wait_for(port)
    return process


def request(
    port: int, path: str, cookie: str | None = None, method: str = "GET", body: str | None = None
) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read().decode()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, data
    conn.close()
    return result


def log_in(port: int) -> str:
    status, headers, page = request(port, "/login")
    cookie = headers["set-cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urlencode({"csrf_token": token, "username": DEMO_USER[0], "password": DEMO_USER[1]})
    status, headers, _ = request(port, "/login", cookie, "POST", body)
    if status != 302:
        raise SystemExit(f"login failed with status {status}")
    return headers["set-cookie"].split(";", 1)[0]


def load(port: int, path: str, cookie: str | None, seconds: float, clients: int) -> float:
    """Requests per second completed with status 200 by ``clients`` threads."""
    counts = [0] * clients
    failures: list[int] = []
    stop = time.monotonic() + seconds

    def run(index: int) -> None:
        while time.monotonic() < stop:
            status, _, _ = request(port, path, cookie)
            if status == 200:
                counts[index] += 1
            else:
                failures.append(status)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. status {failures[0]}")
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as instance:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERCONTACT_")}
        env["PARTNERCONTACT_INSTANCE_PATH"] = instance
        subprocess.run(
            [sys.executable, "-m", "partnercontact.cli", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [sys.executable, "-m", "partnercontact.cli", "demo"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        env["PARTNERCONTACT_WORKER__EMBEDDED"] = "false"
        bare_port, app_port = free_port(), free_port()
        bare = gunicorn("bench.bare_app:app", bare_port, args.workers, env)
        served = gunicorn("partnercontact.wsgi:app", app_port, args.workers, env)
        try:
            cookie = log_in(app_port)
            baseline, landing = [], []
            for _ in range(args.rounds):  # interleaved, so drift hits both alike
                baseline.append(load(bare_port, "/ping", None, args.seconds, args.clients))
                landing.append(load(app_port, "/client/", cookie, args.seconds, args.clients))
        finally:
            for process in (bare, served):
                process.terminate()
                process.wait(timeout=10)

    base, page = statistics.median(baseline), statistics.median(landing)
    print(
        f"gunicorn sync, {args.workers} workers, {args.clients} clients, "
        f"{args.rounds} x {args.seconds:g} s each"
    )
    print(f"{'case':36} {'median req/s':>12} {'min':>8} {'max':>8} {'ratio':>7}")
    print(
        f"{'bare Flask JSON route (baseline)':36} {base:12.1f} {min(baseline):8.1f} "
        f"{max(baseline):8.1f} {1.0:7.2f}"
    )
    print(
        f"{'authenticated landing page':36} {page:12.1f} {min(landing):8.1f} "
        f"{max(landing):8.1f} {page / base:7.2f}"
    )


if __name__ == "__main__":
    main()
