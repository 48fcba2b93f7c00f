"""The client over real HTTP against a tiny local server: concurrency and answer limits."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from sfy_pandas._errors import APITimeoutError, InvalidResponseError
from sfy_pandas.client import AsyncSalesfinity, RetryPolicy

KEY = "sk-test-SECRET-0123456789"
PROFILE = "https://www.linkedin.com/in/janedoe"
CREATED = json.dumps({"_id": "507f1f77bcf86cd799439011", "status": "pending"}).encode()

Writer = asyncio.StreamWriter
Route = Callable[[Writer], Awaitable[None]]


class TinyServer:
    """An HTTP/1.1 server on its own thread and loop; each path answers as scripted."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.in_flight = 0
        self.peak = 0
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()
        server.close()
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                await reader.readexactly(length)
                self.requests += 1
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                try:
                    await self.routes[path.split("?")[0].rsplit("/", 1)[-1]](writer)
                finally:
                    self.in_flight -= 1
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def head(status: str, length: int | None, content_type: str = "application/json") -> bytes:
    size = "" if length is None else f"content-length: {length}\r\n"
    return f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{size}\r\n".encode()


async def slow_create(writer: Writer) -> None:
    await asyncio.sleep(0.3)  # long enough for every request to be in flight at once
    writer.write(head("201 Created", len(CREATED)) + CREATED)
    await writer.drain()


async def drip_forever(writer: Writer) -> None:
    writer.write(head("200 OK", 10_000))
    while True:  # a byte every 50 ms: never a pause long enough for a read time-out
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.05)


async def huge_declared(writer: Writer) -> None:
    writer.write(head("200 OK", 50_000_000))
    while True:
        writer.write(b" " * 65536)
        await writer.drain()


async def huge_undeclared(writer: Writer) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n")
    while True:
        writer.write(b"[" * 65536)
        await writer.drain()


@pytest.fixture
def tiny_server() -> Iterator[Callable[[dict[str, Route]], TinyServer]]:
    servers: list[TinyServer] = []

    def start(routes: dict[str, Route]) -> TinyServer:
        server = TinyServer(routes)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def client_for(server: TinyServer, **kwargs: object) -> AsyncSalesfinity:
    kwargs.setdefault("retry", RetryPolicy(attempts=1, wait_scale=0))
    return AsyncSalesfinity(KEY, base_url=server.base_url, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("concurrency", [32, 5])
async def test_max_concurrency_is_exactly_the_number_of_creates_in_flight(
    tiny_server: Callable[[dict[str, Route]], TinyServer], concurrency: int
) -> None:
    server = tiny_server({"email": slow_create})
    async with client_for(server, max_concurrency=concurrency) as client:
        await asyncio.gather(*(client.create(PROFILE) for _ in range(2 * concurrency)))
    assert server.peak == concurrency
    assert server.requests == 2 * concurrency


async def test_a_body_that_drips_forever_fails_after_the_answer_timeout(
    tiny_server: Callable[[dict[str, Route]], TinyServer],
) -> None:
    server = tiny_server({"credits": drip_forever})
    started = time.monotonic()
    async with client_for(server, answer_timeout=0.5, timeout=5) as client:
        with pytest.raises(APITimeoutError, match=r"within 0\.5 s \(answer_timeout\)"):
            await client.credits()
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("route", [huge_declared, huge_undeclared])
async def test_an_answer_over_max_answer_bytes_is_refused_without_reading_it_all(
    tiny_server: Callable[[dict[str, Route]], TinyServer], route: Route
) -> None:
    server = tiny_server({"credits": route})
    async with client_for(server, max_answer_bytes=100_000, answer_timeout=10) as client:
        with pytest.raises(InvalidResponseError, match="max_answer_bytes"):
            await client.credits()


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("max_answer_bytes", 0), ("max_answer_bytes", 1.5), ("answer_timeout", 0), ("timeout", -1)],
)
def test_a_nonsensical_limit_is_refused_naming_the_argument(keyword: str, value: object) -> None:
    with pytest.raises(ValueError, match=keyword):
        AsyncSalesfinity(KEY, **{keyword: value})  # type: ignore[arg-type]
