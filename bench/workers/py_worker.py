"""The Python worker of the benchmark (started by bench/bench.py; not a test).

    python py_worker.py --sdk none|hopx|official

Reads one JSON command per line on stdin and answers one line ``@@BENCH {json}`` on stdout
(other output, e.g. an SDK's own prints, is ignored by the driver):

- ``{"client": C, "op": "list"|"create", "base": URL, "n": N, "budget_s": S}``: up to N
  sequential calls, stopping once S seconds have passed; answers every call's latency (ns).
- ``{"client": C, "op": "conc", "base": URL, "conc": 200}``: 200 concurrent creates on this
  worker's event loop; answers the wall time.
- ``{"op": "rss"}``: peak resident memory; ``{"op": "exit"}``.

Clients: ``raw`` (http.client, one keep-alive connection per host; ``raw-noparse``: the same
without ``json.loads`` of the body), ``raw-async`` (asyncio
streams with a keep-alive connection pool, for ``conc``), ``sync`` (``Sandbox``) and
``async`` (``AsyncSandbox``) of whichever ``hopx_ai`` this interpreter has (ours or the
official one; they live in separate venvs). Every client but ``raw-noparse`` decodes the JSON
body.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import resource
import ssl
import sys
import time
import urllib.parse

KEY = os.environ["HOPX_API_KEY"]
TEMPLATE = "code-interpreter"
CREATE_BODY = json.dumps({"template_name": TEMPLATE}).encode()
HEADERS = {
    "User-Agent": "bench-raw",
    "Accept": "application/json",
    "Authorization": f"Bearer {KEY}",
}


def emit(obj: dict) -> None:
    sys.stdout.write("@@BENCH " + json.dumps(obj) + "\n")
    sys.stdout.flush()


# --- raw http.client (keep-alive) ---------------------------------------------------------

_connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}


def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=os.environ.get("BENCH_CA_FILE"))


def raw_call(base: str, op: str, parse: bool = True) -> None:
    url = urllib.parse.urlsplit(base)
    key = (url.scheme, url.hostname or "", url.port or 0)
    conn = _connections.get(key)
    if conn is None:
        if url.scheme == "https":
            conn = http.client.HTTPSConnection(url.hostname, url.port, context=_ssl_context())
        else:
            conn = http.client.HTTPConnection(url.hostname, url.port)
        _connections[key] = conn
    if op == "list":
        conn.request("GET", url.path + "/v1/templates", headers=HEADERS)
    else:
        conn.request(
            "POST",
            url.path + "/v1/sandboxes",
            body=CREATE_BODY,
            headers={**HEADERS, "Content-Type": "application/json"},
        )
    response = conn.getresponse()
    body = response.read()
    if response.status >= 400:
        raise RuntimeError(f"HTTP {response.status}")
    if parse:
        json.loads(body)


# --- raw asyncio (keep-alive pool) ---------------------------------------------------------

_idle: dict[tuple[str, int], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}


async def raw_async_call(base: str, op: str) -> None:
    url = urllib.parse.urlsplit(base)
    host, port = url.hostname or "", url.port or 80
    pool = _idle.setdefault((host, port), [])
    if pool:
        reader, writer = pool.pop()
    else:
        reader, writer = await asyncio.open_connection(host, port)
    if op == "list":
        head = f"GET {url.path}/v1/templates HTTP/1.1\r\n"
        body = b""
    else:
        head = f"POST {url.path}/v1/sandboxes HTTP/1.1\r\n"
        body = CREATE_BODY
    head += f"Host: {host}:{port}\r\n"
    for name, value in HEADERS.items():
        head += f"{name}: {value}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    status_and_headers = await reader.readuntil(b"\r\n\r\n")
    lines = status_and_headers.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    if status >= 400:
        raise RuntimeError(f"HTTP {status}")
    json.loads(payload)
    pool.append((reader, writer))


# --- the SDK under test ----------------------------------------------------------------------


class Sdk:
    def __init__(self) -> None:
        from hopx_ai import AsyncSandbox, Sandbox

        self.Sandbox = Sandbox
        self.AsyncSandbox = AsyncSandbox

    def sync_call(self, base: str, op: str) -> None:
        if op == "list":
            self.Sandbox.list_templates(base_url=base)
        else:
            self.Sandbox.create(template=TEMPLATE, base_url=base)

    async def async_call(self, base: str, op: str) -> None:
        if op == "list":
            await self.AsyncSandbox.list_templates(base_url=base)
        else:
            await self.AsyncSandbox.create(template=TEMPLATE, base_url=base)


# --- commands ------------------------------------------------------------------------------


def seq(call, n: int, budget: float) -> list[int]:
    latencies: list[int] = []
    clock = time.perf_counter_ns
    deadline = clock() + int(budget * 1e9)
    while len(latencies) < n and (len(latencies) < 5 or clock() < deadline):
        t = clock()
        call()
        latencies.append(clock() - t)
    return latencies


async def seq_async(call, base: str, op: str, n: int, budget: float) -> list[int]:
    latencies: list[int] = []
    clock = time.perf_counter_ns
    deadline = clock() + int(budget * 1e9)
    while len(latencies) < n and (len(latencies) < 5 or clock() < deadline):
        t = clock()
        await call(base, op)
        latencies.append(clock() - t)
    return latencies


async def concurrent(call, base: str, conc: int) -> int:
    t = time.perf_counter_ns()
    await asyncio.gather(*(call(base, "create") for _ in range(conc)))
    return time.perf_counter_ns() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sdk", choices=["none", "hopx", "official"], required=True)
    args = parser.parse_args()
    sdk = Sdk() if args.sdk != "none" else None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    emit({"ready": True, "python": sys.version.split()[0]})
    for line in sys.stdin:
        command = json.loads(line)
        op = command.get("op")
        if op == "exit":
            break
        if op == "rss":
            emit({"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})
            continue
        client, base = command.get("client"), command.get("base", "")
        n, budget = int(command.get("n", 100)), float(command.get("budget_s", 1.0))
        try:
            if op == "conc":
                call = raw_async_call if client == "raw-async" else sdk.async_call
                wall = loop.run_until_complete(concurrent(call, base, int(command["conc"])))
                emit({"wall_ns": wall, "calls": int(command["conc"])})
            elif client == "raw":
                emit({"lat_ns": seq(lambda: raw_call(base, op), n, budget)})
            elif client == "raw-noparse":
                emit({"lat_ns": seq(lambda: raw_call(base, op, parse=False), n, budget)})
            elif client == "sync":
                emit({"lat_ns": seq(lambda: sdk.sync_call(base, op), n, budget)})
            elif client == "async":
                lat = loop.run_until_complete(seq_async(sdk.async_call, base, op, n, budget))
                emit({"lat_ns": lat})
            else:
                emit({"error": f"unknown client {client}"})
        except Exception as e:  # noqa: BLE001 - reported to the driver
            emit({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
