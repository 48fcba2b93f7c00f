"""How many requests a second the simulator serves over loopback, on one core.

The server runs in a subprocess pinned to one core (where the OS allows); the
load comes from this process, pinned to another, through a small asyncio client
that keeps several connections alive and writes raw HTTP/1.1, so it can outrun
the server (httpx tops out near 1,100 requests/s per process). A trivial ASGI
app on the same uvicorn stack gives the ceiling in the same run.

    python benchmarks/bench_simulator.py            # 5 s per row
    python benchmarks/bench_simulator.py --quick    # a few seconds in all

Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

API_KEY = "bench-key"
CONNECTIONS = 8
LOOKUPS = 2_000
QUICK_LOOKUPS = 200
SERVER_CORE = 0
LOAD_CORE = 1


# --- the server side (runs in the subprocess) -------------------------------------


async def hello_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: the cheapest possible ASGI answer, on the same server stack."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b'{"ok":true}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve(app_name: str) -> None:
    """Serve ``app_name`` on a free loopback port, print the port, run until SIGINT."""
    _pin(SERVER_CORE)
    from sfy_pandas.simulator import Simulator
    from sfy_pandas.simulator._server import bind_socket, make_server

    simulator = Simulator(seed=1, balance=10**9, pending_seconds=0.01, resolve_seconds=0.05)
    server = make_server(simulator)
    if app_name == "hello":
        server.config.app = hello_app
    sock = bind_socket("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


# --- the load side ----------------------------------------------------------------


def request_bytes(method: str, path: str, body: bytes = b"") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: {API_KEY}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection and read the whole answer."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


@dataclass
class Row:
    name: str
    requests: int
    seconds: float
    server_cpu: float | None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request_us(self) -> float | None:
        if self.server_cpu is None or not self.requests:
            return None
        return self.server_cpu / self.requests * 1e6


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process has used, where /proc tells it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(
    server: Server, name: str, requests: Sequence[bytes], expect: int, seconds: float
) -> Row:
    """Send ``requests`` round-robin over CONNECTIONS connections for ``seconds``."""
    done = 0
    stop_at = 0.0
    warm_until = time.perf_counter() + min(0.5, seconds / 5)

    async def worker(offset: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        index = offset
        try:
            while time.perf_counter() < warm_until:
                await exchange(reader, writer, requests[index % len(requests)])
                index += CONNECTIONS
            while time.perf_counter() < stop_at:
                status, _ = await exchange(reader, writer, requests[index % len(requests)])
                if status != expect:
                    raise RuntimeError(f"{name}: expected {expect}, got {status}")
                done += 1
                index += CONNECTIONS
        finally:
            writer.close()
            await writer.wait_closed()

    async def measure_cpu() -> float | None:
        await asyncio.sleep(max(0.0, warm_until - time.perf_counter()))
        before = cpu_seconds(server.pid)
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        after = cpu_seconds(server.pid)
        return None if before is None or after is None else after - before

    stop_at = warm_until + seconds
    cpu = asyncio.create_task(measure_cpu())
    tasks = [asyncio.create_task(worker(offset)) for offset in range(CONNECTIONS)]
    await asyncio.gather(*tasks)
    return Row(name, done, seconds, await cpu)


@dataclass
class Server:
    pid: int
    port: int


async def simulator_rows(server: Server, seconds: float, lookups: int) -> list[Row]:
    creates = [
        request_bytes(
            "POST",
            "/v1/api/enrichment/email",
            json.dumps(
                {"linkedin_url": f"https://www.linkedin.com/in/bench-person-{n}", "type": "work"}
            ).encode(),
        )
        for n in range(lookups)
    ]
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    ids = []
    for request in creates:
        status, body = await exchange(reader, writer, request)
        assert status == 201, status
        ids.append(json.loads(body)["_id"])
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.2)  # let some lookups resolve, so reads see every state

    gets = [request_bytes("GET", f"/v1/api/enrichment/email/{i}") for i in ids]
    batches = [
        request_bytes(
            "POST",
            "/v1/api/enrichment/email/batch/query",
            json.dumps({"tasks": [{"id": i} for i in ids[start : start + 200]]}).encode(),
        )
        for start in range(0, lookups, 200)
    ]
    return [
        await load(server, "GET one lookup", gets, 200, seconds),
        await load(server, "batch query of 200 ids", batches, 200, seconds),
        await load(server, "POST create", creates, 201, seconds),
    ]


async def hello_rows(server: Server, seconds: float, lookups: int) -> list[Row]:
    hello = [request_bytes("GET", "/")]
    return [await load(server, "baseline: bare ASGI hello", hello, 200, seconds)]


def run_against(app_name: str, seconds: float, lookups: int) -> list[Row]:
    """Start a server subprocess for ``app_name``, load it, stop it."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", app_name],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        rows = hello_rows if app_name == "hello" else simulator_rows
        return _run(rows(Server(server.pid, port), seconds, lookups))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()


def stack() -> str:
    parts = []
    for module in ("httptools", "uvloop"):
        try:
            __import__(module)
            parts.append(module)
        except ImportError:
            parts.append(f"no {module}")
    return "uvicorn, " + ", ".join(parts)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s per row: a smoke run")
    parser.add_argument("--seconds", type=float, help="measuring time per row")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return
    seconds = args.seconds or (0.2 if args.quick else 5.0)
    pinned = _pin(LOAD_CORE)
    lookups = QUICK_LOOKUPS if args.quick else LOOKUPS
    rows = run_against("hello", seconds, lookups) + run_against("simulator", seconds, lookups)
    where = "server pinned to one core" if pinned else "server not pinned"
    print(f"Simulator over loopback ({stack()}; {where};")
    print(f"{CONNECTIONS} keep-alive connections; {seconds:g} s per row)\n")
    print("| request | requests/s | server CPU per request | requests/s per core |")
    print("|---|---:|---:|---:|")
    for row in rows:
        cpu = row.cpu_per_request_us
        per_core = "n/a" if not cpu else f"{1e6 / cpu:,.0f}"
        shown_cpu = "n/a" if cpu is None else f"{cpu:,.0f} µs"
        print(f"| {row.name} | {row.per_second:,.0f} | {shown_cpu} | {per_core} |")


def _run(coro: Any) -> list[Row]:
    """Run the load on uvloop when it is there: it leaves more headroom over the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[no-any-return]
    return uvloop.run(coro)  # type: ignore[no-any-return]


def _pin(core: int) -> bool:
    """Keep this process on one core, when the OS has more than one and allows it."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return False
    try:
        os.sched_setaffinity(0, {core})
    except OSError:
        return False
    return True


if __name__ == "__main__":
    main()
