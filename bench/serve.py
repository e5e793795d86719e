"""Requests per second under gunicorn: the case page against a bare page of the same size.

gunicorn (two sync workers, as production would start it) serves ``bench.wsgi`` on the
bench database; a few client threads, each with its own keep-alive connection (reopened
when the server closes it), ask for one address for a fixed number of seconds.
"""

import concurrent.futures
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from bench import environment

HOST, PORT = "127.0.0.1", 8765
ROOT = Path(__file__).resolve().parent.parent


def _get(connection, path, cookie):
    connection.request("GET", path, headers={"Cookie": cookie, "Host": HOST})
    response = connection.getresponse()
    response.read()
    if response.getheader("Connection", "").lower() == "close":
        connection.close()
    return response.status


def _hammer(path, cookie, seconds):
    """(answered 200, answered otherwise) for one client thread in ``seconds``."""
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
    done, other, deadline = 0, 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _get(connection, path, cookie) == 200:
            done += 1
        else:
            other += 1
    connection.close()
    return done, other


def requests_per_second(path, cookie, seconds, threads):
    """Answers 200 per second; raises if any answer was not 200 (a lost session, an error)."""
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        counts = list(pool.map(lambda _n: _hammer(path, cookie, seconds), range(threads)))
    other = sum(count[1] for count in counts)
    if other:
        raise RuntimeError(f"{path}: {other} answers were not 200")
    return round(sum(count[0] for count in counts) / seconds, 1)


def _wait_until_up(process):
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited; see its output above")
        try:
            connection = http.client.HTTPConnection(HOST, PORT, timeout=2)
            _get(connection, environment.BARE_PATH, "")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def measure(client, case_url, seconds, threads, progress=print):
    """req/s of ``case_url`` for the signed-in ``client``'s session, and of the two bare pages."""
    body = client.get(case_url).content
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    env = {**os.environ, **environment.environment(), "BENCH_BARE_BYTES": str(len(body))}
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"{HOST}:{PORT}", "--log-level",
               "warning", "bench.wsgi:application"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (our own interpreter and arguments)
    try:
        _wait_until_up(process)
        _get(http.client.HTTPConnection(HOST, PORT), case_url, cookie)  # warm both workers' imports
        figures = {
            "threads": threads,
            "seconds": seconds,
            "page_bytes": len(body),
            "case_page": requests_per_second(case_url, cookie, seconds, threads),
            "bare_page": requests_per_second(environment.BARE_PATH, cookie, seconds, threads),
            "bare_django_page": requests_per_second(environment.BARE_DJANGO_PATH, cookie, seconds, threads),
        }
    finally:
        process.terminate()
        process.wait(timeout=30)
    figures["ratio"] = round(figures["case_page"] / figures["bare_page"], 3) if figures["bare_page"] else None
    bare_django = figures["bare_django_page"]
    figures["ratio_django"] = round(figures["case_page"] / bare_django, 3) if bare_django else None
    progress(f"gunicorn req/s {figures}")
    return figures
