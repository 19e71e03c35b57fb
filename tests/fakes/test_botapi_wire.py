"""The one reading of Bot API requests that the fake servers share."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.botapi_wire import Upload, parse_params, route


def wire(request: httpx.Request) -> tuple[str, str, bytes]:
    body = request.read()
    return request.url.query.decode(), request.headers.get("content-type", ""), body


def test_the_path_names_the_token_and_the_method() -> None:
    assert route("/bot1:abc/sendMessage") == ("1:abc", "sendMessage")
    for path in ("/1:abc/sendMessage", "/bot1:abc", "/bot1:abc/sendMessage/x", "bot1:abc/getMe"):
        assert route(path) is None


def test_form_fields_are_decoded_as_ptb_encodes_them() -> None:
    request = httpx.Request(
        "POST",
        "http://x/bot1:a/sendMessage?chat_id=-100",
        data={
            "text": "5",
            "message_thread_id": "7",
            "protect_content": "true",
            "reply_markup": '{"inline_keyboard": []}',
            "empty": "",
        },
    )
    assert parse_params(*wire(request)) == {
        "chat_id": -100,
        "text": "5",
        "message_thread_id": 7,
        "protect_content": True,
        "reply_markup": {"inline_keyboard": []},
        "empty": "",
    }


def test_a_json_body_and_a_channel_username() -> None:
    request = httpx.Request("POST", "http://x/bot1:a/sendMessage", json={"chat_id": "@news", "limit": 3})
    assert parse_params(*wire(request)) == {"chat_id": "@news", "limit": 3}


def test_a_multipart_body_records_files_by_name_type_and_size() -> None:
    request = httpx.Request(
        "POST",
        "http://x/bot1:a/sendDocument",
        data={"chat_id": "5", "caption": "Café"},
        files={"document": ("report.pdf", b"%PDF-1.7 data", "application/pdf")},
    )
    assert parse_params(*wire(request)) == {
        "chat_id": 5,
        "caption": "Café",
        "document": Upload("report.pdf", "application/pdf", 13),
    }


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"[1, 2]"),
        ("application/x-www-form-urlencoded", b"reply_markup=%7Bnot+json"),
        ("multipart/form-data", b"--x\r\n\r\n--x--"),
        ("application/x-www-form-urlencoded", b"text=\xff"),
    ],
)
def test_a_malformed_body_is_refused(content_type: str, body: bytes) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_params("", content_type, body)
