"""`POST /api/ask` on an in-process FastAPI app (FAKE embedder and chat model, memory store): the same
JSON as `qa ask --json`, behind the login, within the shared answer slots, with clear errors."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from fastapi.testclient import TestClient

from qa.service import NewsDesk
from qa.web.api import AnswerSlots, install_api
from qa.web.app import LoginCheck
from qa.web.login import LoginThrottle, install_login_throttle
from tests.conftest import ASK_JSON_KEYS

pytestmark = pytest.mark.unit

QUESTION = "How many base stations does Huawei make a month?"


def _client(
    make_desk: Callable[..., NewsDesk],
    tmp_path: Path,
    *,
    login: LoginCheck | None = None,
    throttle: LoginThrottle | None = None,
    slots: AnswerSlots | None = None,
) -> TestClient:
    desk = make_desk(min_score=0.2)
    story = tmp_path / "huawei.txt"
    story.write_text("Huawei makes 5,000 base stations a month without US parts, its founder said.\n")
    desk.ingest([story], progress=False)
    app = FastAPI()
    install_api(app, desk, slots or AnswerSlots(1, 4), login=login, throttle=throttle)
    # raise_server_exceptions=False: a bug must reach the client as the app answers it, not as a raise.
    return TestClient(app, raise_server_exceptions=False)


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_ask_returns_what_qa_ask_json_prints(make_desk: Callable[..., NewsDesk], tmp_path: Path) -> None:
    reply = _client(make_desk, tmp_path).post(
        "/api/ask", json={"question": QUESTION, "k": 3, "as_of": "2023-01-06"}
    )
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) >= ASK_JSON_KEYS and not body["abstained"] and body["citations"]
    assert "5,000 base stations" in body["citations"][0]["quote"]


@pytest.mark.parametrize(
    ("payload", "status", "says"),
    [
        (b"{not json", 400, "the body is not JSON"),
        (b'["a list"]', 400, 'send a JSON object with "question"'),
        (b'{"question": "x", "k": 0}', 400, "k must be a whole number from 1 to 50"),
        (b'{"question": "x", "since": "2023-02-30"}', 400, "since is not a real date"),
        (b'{"question": "x", "until": 5}', 400, "dates as YYYY-MM-DD strings"),
        (b'{"question": "' + b"y" * 3000 + b'"}', 400, "the limit is 2,000 (QA_MAX_QUESTION_CHARS)"),
        (b'{"question": "' + b"y" * 70_000 + b'"}', 413, "request body over 64,000 bytes"),
        (b'{"question": "caf\xe9"}', 400, "the body is not UTF-8 text"),
        (b"[" * 5000, 400, "nested too deeply"),
        (b'{"question": "x", "k": true}', 400, "k must be a whole number from 1 to 50"),
        (b'{"question": "x", "k": 1' + b"0" * 5000 + b"}", 400, "the body is not JSON"),
        (b'{"question": "x\\ud800"}', 400, "lone surrogate"),
        (b'{"question": "x", "as_of": "\\udfff"}', 400, "lone surrogate"),
        (b'{"question": "x", "note": {"\\ud800": 1}}', 400, "lone surrogate"),
        (b'{"question": "What happened this week?", "as_of": "0001-01-01"}', 400, "from 1900-01-01"),
        (b'{"question": "x", "since": "' + b"2" * 10_000 + b'"}', 400, "(10,000 characters)"),
    ],
)
def test_bad_requests_get_a_clear_reason(
    make_desk: Callable[..., NewsDesk], tmp_path: Path, payload: bytes, status: int, says: str
) -> None:
    reply = _client(make_desk, tmp_path).post("/api/ask", content=payload)
    assert reply.status_code == status and says in reply.json()["error"]


class FakeClock:
    """A clock the test moves by hand (FAKE: stands in for time.monotonic)."""

    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_api_is_behind_the_same_login(make_desk: Callable[..., NewsDesk], tmp_path: Path) -> None:
    clock = FakeClock()
    client = _client(make_desk, tmp_path, login=LoginCheck("editor", "s3cret"), throttle=LoginThrottle(clock))
    refused = client.post("/api/ask", json={"question": QUESTION})
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    wrong = client.post("/api/ask", json={"question": QUESTION}, headers=_basic("editor", "guess"))
    assert wrong.status_code == 401
    clock.now += 0.5  # after the back-off window of one failure
    right = client.post("/api/ask", json={"question": QUESTION}, headers=_basic("editor", "s3cret"))
    assert right.status_code == 200 and right.json()["citations"]


def test_wrong_passwords_are_refused_with_429_and_retry_after_not_slept_on(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    clock = FakeClock()
    client = _client(make_desk, tmp_path, login=LoginCheck("editor", "s3cret"), throttle=LoginThrottle(clock))
    guess = {"json": {"question": QUESTION}, "headers": _basic("editor", "x")}
    for _ in range(3):
        assert client.post("/api/ask", **guess).status_code == 401
        clock.now += 10  # past each window: every guess is checked and counted
    assert client.post("/api/ask", **guess).status_code == 401  # the 4th failure: 4 s to wait
    throttled = client.post("/api/ask", json={"question": QUESTION}, headers=_basic("editor", "s3cret"))
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "4"
    assert "too many wrong passwords" in throttled.json()["error"]
    clock.now += 4
    assert (
        client.post("/api/ask", json={"question": QUESTION}, headers=_basic("editor", "s3cret")).status_code
        == 200
    )


def test_a_chunked_body_over_the_cap_is_refused_with_413(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    sent: list[int] = []

    def pieces() -> Iterator[bytes]:
        for _ in range(100):  # 6.4 MB, in 64 KB pieces, with no Content-Length
            sent.append(1)
            yield b" " * 64_000

    reply = _client(make_desk, tmp_path).post("/api/ask", content=pieces())
    assert reply.status_code == 413 and "request body over 64,000 bytes" in reply.json()["error"]


def test_an_unexpected_failure_is_a_one_line_json_500(
    make_desk: Callable[..., NewsDesk], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug\nwith a second line")

    monkeypatch.setattr(NewsDesk, "ask", broken)
    reply = _client(make_desk, tmp_path).post("/api/ask", json={"question": QUESTION})
    assert reply.status_code == 500 and reply.headers["content-type"] == "application/json"
    assert reply.json() == {"error": "internal error (KeyError); the server log has the details"}


def test_a_full_queue_is_refused_with_503(make_desk: Callable[..., NewsDesk], tmp_path: Path) -> None:
    slots = AnswerSlots(running=1, waiting=0)
    client = _client(make_desk, tmp_path, slots=slots)
    release = threading.Event()
    held = threading.Event()

    def hold_the_only_slot() -> None:
        with slots:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_only_slot)
    holder.start()
    held.wait(10)
    try:
        busy = client.post("/api/ask", json={"question": QUESTION})
        assert busy.status_code == 503 and "busy" in busy.json()["error"]
    finally:
        release.set()
        holder.join()
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200


def _app_with_a_gradio_like_login(check: LoginCheck, throttle: LoginThrottle) -> FastAPI:
    """A FAKE of Gradio's `POST /login` (same signature and refusal), with the throttle put before it."""
    app = FastAPI()

    @app.post("/login")
    async def login(request: Request, form_data: OAuth2PasswordRequestForm = Depends()) -> JSONResponse:  # noqa: B008
        if check(form_data.username, form_data.password):
            return JSONResponse({"success": True})
        raise HTTPException(status_code=400, detail="Incorrect credentials.")

    install_login_throttle(app, throttle)
    return app


def test_the_login_form_refuses_a_guesser_with_429_and_never_slows_another_client() -> None:
    clock = FakeClock()
    app = _app_with_a_gradio_like_login(LoginCheck("editor", "s3cret"), LoginThrottle(clock))
    guesser = TestClient(app, client=("203.0.113.7", 5000))
    reader = TestClient(app, client=("10.0.0.9", 5000))
    wrong = guesser.post("/login", data={"username": "editor", "password": "guess"})
    assert wrong.status_code == 400 and wrong.json()["detail"] == "Incorrect credentials."
    again = guesser.post("/login", data={"username": "editor", "password": "s3cret"})
    assert again.status_code == 429 and again.headers["retry-after"] == "1"
    assert reader.post("/login", data={"username": "editor", "password": "s3cret"}).status_code == 200
    clock.now += 0.5
    assert guesser.post("/login", data={"username": "editor", "password": "s3cret"}).status_code == 200
    huge = guesser.post("/login", data={"username": "editor", "password": "x" * 20_000})
    assert huge.status_code == 413
