"""The limit-enforcing fake Bot API, driven over loopback HTTP by PTB's real `Bot` and by raw httpx."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from telegram import Bot, Message, MessageId
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.fakes.telegram_limits import Delivery, FakeTelegram, Limits, Upload

TOKEN = "7000000001:fake-token"
PRIVATE = 4242
GROUP = -1001234567890


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """`RetryAfter.retry_after` as a timedelta: PTB's future behaviour, and no deprecation warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def server() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def unlimited() -> Iterator[FakeTelegram]:
    with FakeTelegram(Limits.none()) as fake:
        yield fake


def make_bot(server: FakeTelegram, read_timeout: float = 5.0) -> Bot:
    request = HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout)
    return Bot(TOKEN, base_url=server.base_url, request=request)


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(server) as the_bot:
        yield the_bot


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as the_client:
        yield the_client


def retry_seconds(exc: RetryAfter) -> float:
    retry_after = exc.retry_after
    assert isinstance(retry_after, dt.timedelta)
    return retry_after.total_seconds()


# --- the flood limits ------------------------------------------------------------------------------


async def test_a_burst_to_31_chats_delivers_30_and_rejects_one(server: FakeTelegram, bot: Bot) -> None:
    results = await asyncio.gather(
        *(bot.send_message(1000 + i, f"hello {i}") for i in range(31)), return_exceptions=True
    )

    delivered = [r for r in results if isinstance(r, Message)]
    rejected = [r for r in results if isinstance(r, RetryAfter)]
    assert len(delivered) == 30
    assert len(rejected) == 1
    assert retry_seconds(rejected[0]) >= 1
    assert server.counters.delivered == 30
    assert server.counters.rejected_429 == 1
    assert [r.limit for r in server.rejections] == ["overall"]
    assert server.max_rate_in_window(1.0) == 30
    assert len({(m.chat_id, m.message_id) for m in delivered}) == 30


async def test_a_429_is_telegrams_json(server: FakeTelegram, client: httpx.AsyncClient) -> None:
    first = await client.post(server.url("sendMessage"), data={"chat_id": str(PRIVATE), "text": "one"})
    second = await client.post(server.url("sendMessage"), data={"chat_id": str(PRIVATE), "text": "two"})

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert [d.text for d in server.delivered_to(PRIVATE)] == ["one"]


async def test_two_messages_to_one_private_chat_within_a_second(server: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(PRIVATE, "first")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PRIVATE, "second")

    assert retry_seconds(caught.value) == 1
    assert [r.limit for r in server.rejections] == ["private"]
    assert [d.text for d in server.delivered_to(PRIVATE)] == ["first"]
    # Another chat is not held back by it.
    await bot.send_message(PRIVATE + 1, "elsewhere")


async def test_21_messages_to_a_group_within_a_minute(server: FakeTelegram, bot: Bot) -> None:
    for i in range(20):
        await bot.send_message(GROUP, f"group message {i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "one too many")

    assert 59 <= retry_seconds(caught.value) <= 60
    assert [r.limit for r in server.rejections] == ["group"]
    assert len(server.delivered_to(GROUP)) == 20


async def test_a_private_burst_allowance(client: httpx.AsyncClient) -> None:
    with FakeTelegram(Limits(private_burst=3)) as server:
        statuses = [
            (await client.post(server.url("sendMessage"), data={"chat_id": "7", "text": f"m{i}"})).status_code
            for i in range(4)
        ]
        assert server.limits.private_window == 3.0

    assert statuses == [200, 200, 200, 429]
    assert server.rejections[0].retry_after == 3


async def test_scale_compresses_every_window(client: httpx.AsyncClient) -> None:
    with FakeTelegram(Limits(scale=10)) as server:
        assert (server.limits.overall_window, server.limits.private_window) == (0.1, 0.1)
        assert server.limits.group_window == 6.0

        async def send(text: str) -> int:
            response = await client.post(server.url("sendMessage"), data={"chat_id": "9", "text": text})
            return response.status_code

        assert await send("a") == 200
        assert await send("b") == 429
        await asyncio.sleep(0.12)
        assert await send("c") == 200

        server.set_scale(1000)
        await asyncio.sleep(0.002)
        assert await send("d") == 200

    assert [d.text for d in server.delivered_to(9)] == ["a", "c", "d"]
    assert server.rejections[0].retry_after == 1  # whole real seconds, at least 1, whatever the scale


async def test_a_scaled_flood_never_exceeds_the_scaled_limits(client: httpx.AsyncClient) -> None:
    limits = Limits(scale=10)
    with FakeTelegram(limits) as server:
        responses = await asyncio.gather(
            *(
                client.post(server.url("sendMessage"), data={"chat_id": str(1 + i % 5), "text": f"m{i}"})
                for i in range(80)
            )
        )

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429}
    assert 429 in statuses
    assert server.counters.delivered + server.counters.rejected_429 == 80
    assert server.max_rate_in_window(limits.overall_window) <= limits.overall_per_second
    for chat_id in range(1, 6):
        assert server.max_rate_in_window(limits.private_window, chat_id) == 1


async def test_methods_that_do_not_send_are_not_limited(server: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(PRIVATE, "draft")
    for i in range(40):
        edited = await bot.edit_message_text(f"draft {i}", chat_id=PRIVATE, message_id=sent.message_id)
        assert isinstance(edited, Message)
        assert edited.text == f"draft {i}"
    assert await bot.delete_webhook()
    assert await bot.set_my_commands([("start", "Start")])
    assert await bot.delete_my_commands()
    assert await bot.answer_callback_query("123")

    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()
    assert time.monotonic() - started < 2  # held for at most the long-poll cap

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=PRIVATE, message_id=sent.message_id + 1)
    assert server.counters.delivered == 1
    assert server.counters.rejected_429 == 0
    assert server.method_calls["editmessagetext"] == 41


# --- failures ------------------------------------------------------------------------------------


async def test_a_blocked_chat_is_forbidden() -> None:
    with FakeTelegram(blocked={PRIVATE}) as server:
        async with make_bot(server) as blocked_bot:
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await blocked_bot.send_message(PRIVATE, "hello")

    assert server.counters.forbidden == 1
    assert server.deliveries == []


async def test_a_missing_chat_is_not_found(server: FakeTelegram, bot: Bot) -> None:
    server.missing = {PRIVATE}
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(PRIVATE, "hello")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message("@nobody", "hello")

    assert server.counters.bad_request == 2
    assert server.deliveries == []


async def test_failures_are_mutable_at_run_time(server: FakeTelegram, bot: Bot) -> None:
    server.blocked = {PRIVATE}
    with pytest.raises(Forbidden):
        await bot.send_message(PRIVATE, "hello")
    server.blocked = set()
    await bot.send_message(PRIVATE, "hello again")

    assert [d.text for d in server.delivered_to(PRIVATE)] == ["hello again"]


async def test_text_over_4096_characters_is_too_long(server: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(PRIVATE, "x" * 4097)
    await bot.send_message(PRIVATE, "x" * 4096)

    assert [len(d.text or "") for d in server.deliveries] == [4096]


async def test_fail_fraction_one_answers_502(
    server: FakeTelegram, bot: Bot, client: httpx.AsyncClient
) -> None:
    server.fail_fraction = 1.0
    with pytest.raises(NetworkError, match="Bad Gateway") as caught:
        await bot.send_message(PRIVATE, "hello")
    assert not isinstance(caught.value, TimedOut)
    response = await client.post(server.url("sendMessage"), data={"chat_id": "1", "text": "hi"})

    assert response.status_code == 502
    assert response.json() == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    assert server.counters.failed_5xx == 2
    assert server.deliveries == []


async def test_fail_fraction_is_seeded(client: httpx.AsyncClient) -> None:
    outcomes: list[list[int]] = []
    for _ in range(2):
        with FakeTelegram(Limits.none(), fail_fraction=0.5, seed=7) as server:
            outcomes.append(
                [
                    (
                        await client.post(server.url("sendMessage"), data={"chat_id": "1", "text": "x"})
                    ).status_code
                    for _ in range(20)
                ]
            )

    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {200, 502}


async def test_timeout_fraction_one_lets_the_read_timeout_fire(server: FakeTelegram) -> None:
    server.timeout_fraction = 1.0
    server.timeout_seconds = 5.0
    async with make_bot(server, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(PRIVATE, "hello")

    assert server.counters.timed_out == 1
    assert server.deliveries == []


async def test_a_lost_answer_makes_a_retry_a_duplicate(unlimited: FakeTelegram) -> None:
    unlimited.timeout_fraction = 1.0
    unlimited.timeout_delivers = True
    unlimited.timeout_seconds = 5.0
    async with make_bot(unlimited, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(PRIVATE, "only once, please")
        unlimited.timeout_fraction = 0.0
        await bot.send_message(PRIVATE, "only once, please")

    assert unlimited.duplicates() == {(PRIVATE, "only once, please"): 2}
    assert [d.message_id for d in unlimited.delivered_to(PRIVATE)] == [1, 2]


async def test_stop_is_prompt_with_held_requests_and_idempotent(client: httpx.AsyncClient) -> None:
    server = FakeTelegram(timeout_fraction=1.0, timeout_seconds=60).start()
    held = asyncio.create_task(client.post(server.url("sendMessage"), data={"chat_id": "1", "text": "x"}))
    for _ in range(500):  # until the server holds it
        if server.counters.timed_out:
            break
        await asyncio.sleep(0.01)

    started = time.monotonic()
    server.stop()
    server.stop()
    assert time.monotonic() - started < 1
    with pytest.raises(httpx.TransportError):
        await held


# --- the ledger ----------------------------------------------------------------------------------


async def test_the_ledger_records_deliveries_and_duplicates(unlimited: FakeTelegram) -> None:
    async with make_bot(unlimited) as bot:
        for chat_id, text in [(1, "a"), (1, "b"), (1, "a"), (2, "a"), (1, "a")]:
            await bot.send_message(chat_id, text)

    to_one = unlimited.delivered_to(1)
    assert [(d.message_id, d.text) for d in to_one] == [(1, "a"), (2, "b"), (3, "a"), (4, "a")]
    assert to_one[0].params["chat_id"] == 1
    assert to_one[0].params["text"] == "a"
    assert all(isinstance(d, Delivery) and d.method == "sendmessage" for d in to_one)
    assert [d.at for d in unlimited.deliveries] == sorted(d.at for d in unlimited.deliveries)
    assert unlimited.duplicates() == {(1, "a"): 3}
    assert unlimited.counters.delivered == 5
    assert unlimited.max_rate_in_window(60) == 5
    assert unlimited.max_rate_in_window(60, chat_id=2) == 1

    unlimited.reset()
    assert unlimited.deliveries == []
    assert unlimited.counters.delivered == 0
    assert unlimited.duplicates() == {}
    async with make_bot(unlimited) as bot:
        again = await bot.send_message(1, "after reset")
    assert again.message_id == 1


async def test_documents_photos_and_copies(unlimited: FakeTelegram) -> None:
    async with make_bot(unlimited) as bot:
        document = await bot.send_document(PRIVATE, b"%PDF-1.4 fake", filename="report.pdf", caption="Report")
        photo = await bot.send_photo(PRIVATE, b"\x89PNG fake", caption="Photo")
        copy = await bot.copy_message(PRIVATE, from_chat_id=GROUP, message_id=17)
        by_file_id = await bot.send_document(GROUP, "BQACAgExisting")

    assert document.document is not None
    assert (document.document.file_name, document.document.file_size) == ("report.pdf", 13)
    assert document.caption == "Report"
    assert photo.photo
    assert photo.photo[-1].file_size == 9
    assert isinstance(copy, MessageId)
    assert copy.message_id == 3
    assert by_file_id.document is not None
    assert by_file_id.document.file_id == "BQACAgExisting"

    ledger = unlimited.delivered_to(PRIVATE)
    assert [(d.method, d.text) for d in ledger] == [
        ("senddocument", "Report"),
        ("sendphoto", "Photo"),
        ("copymessage", None),
    ]
    upload = ledger[0].params["document"]
    assert isinstance(upload, Upload)
    assert (upload.filename, upload.size) == ("report.pdf", 13)
    assert ledger[2].content == f"<copy {GROUP}/17>"


# --- the wire ------------------------------------------------------------------------------------


async def test_json_query_and_chunked_bodies(unlimited: FakeTelegram, client: httpx.AsyncClient) -> None:
    as_json = await client.post(unlimited.url("sendMessage"), json={"chat_id": 5, "text": "json"})
    as_query = await client.post(unlimited.url("sendMessage"), params={"chat_id": "5", "text": "query"})

    async def chunks() -> AsyncIterator[bytes]:
        yield b"chat_id=5&te"
        yield b"xt=chunked"

    chunked = await client.post(
        unlimited.url("sendMessage"),
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    multipart = await client.post(
        unlimited.url("sendDocument"),
        data={"chat_id": "5", "caption": "multi"},
        files={"document": ("a.txt", b"abc", "text/plain")},
    )

    assert [r.status_code for r in (as_json, as_query, chunked, multipart)] == [200] * 4
    assert [d.text for d in unlimited.delivered_to(5)] == ["json", "query", "chunked", "multi"]
    result: dict[str, Any] = multipart.json()["result"]
    assert result["document"]["mime_type"] == "text/plain"
    assert result["chat"] == {"id": 5, "type": "private", "first_name": "User 5"}


async def test_keep_alive_and_pipelining(unlimited: FakeTelegram) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", unlimited.port)
    requests = b""
    for text in (b"one", b"two"):
        body = b"chat_id=3&text=" + text
        requests += (
            b"POST /bot1:x/sendMessage HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
    writer.write(requests)
    answers = []
    for _ in range(2):
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        answers.append((head.split(b"\r\n")[0], await reader.readexactly(length)))
    writer.close()
    await writer.wait_closed()

    assert [status for status, _ in answers] == [b"HTTP/1.1 200 OK"] * 2
    assert [d.text for d in unlimited.delivered_to(3)] == ["one", "two"]


async def test_unknown_methods_and_wrong_tokens(client: httpx.AsyncClient) -> None:
    with FakeTelegram(token=TOKEN) as server:
        unknown = await client.post(server.url("sendTelepathy", TOKEN))
        wrong = await client.post(server.url("getMe", "1:wrong"))
        right = await client.post(server.url("getMe", TOKEN))

    assert unknown.status_code == 404
    assert wrong.status_code == 401
    assert right.json()["result"]["is_bot"] is True


# --- throughput (prints only) --------------------------------------------------------------------


async def test_throughput_of_the_server(unlimited: FakeTelegram) -> None:
    count, concurrency = 1000, 8
    async with Bot(TOKEN, base_url=unlimited.base_url, request=HTTPXRequest(connection_pool_size=8)) as bot:
        gate = asyncio.Semaphore(concurrency)

        async def send(i: int) -> None:
            async with gate:
                await bot.send_message(1 + i % 100, f"message {i}")

        cpu_before, started = unlimited.cpu_seconds(), time.perf_counter()
        await asyncio.gather(*(send(i) for i in range(count)))
        elapsed, server_cpu = time.perf_counter() - started, unlimited.cpu_seconds() - cpu_before

    assert unlimited.counters.delivered == count
    print(
        f"\nPTB send_message through the fake, {concurrency} connections: {count / elapsed:.0f} msg/s; "
        f"server thread {server_cpu / count * 1e6:.0f} µs CPU per request "
        f"({server_cpu / elapsed:.0%} of a core)"
    )
