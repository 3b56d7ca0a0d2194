"""`POST /api/ask` on the running web app: the same JSON as `qa ask --json`, for scripts and monitoring.

Behind the same login as the chat (its session cookie, or HTTP Basic credentials checked by the same
throttled `LoginCheck`), within the same limits: at most `QA_WEB_CONCURRENCY_LIMIT` answers at once,
chat and API together, and at most `QA_WEB_QUEUE_MAX_SIZE` waiting; more are refused with 503.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from qa.documents import DateRange
from qa.errors import InvalidInputError, ServiceBusyError, UserError
from qa.service import NewsDesk
from qa.text.dates import check_day

MAX_BODY_BYTES = 64_000  # a question is capped far below this; the rest is a few small fields


class AnswerSlots:
    """How many answers may run at once and how many may wait: shared by the chat and the API."""

    def __init__(self, running: int, waiting: int) -> None:
        self._slots = threading.BoundedSemaphore(running)
        self._waiting_room = threading.BoundedSemaphore(running + waiting)

    def __enter__(self) -> AnswerSlots:
        if not self._waiting_room.acquire(blocking=False):
            raise ServiceBusyError("busy: every answer slot is taken and the queue is full; retry shortly")
        self._slots.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._slots.release()
        self._waiting_room.release()


def install_api(
    app: Any,
    desk: NewsDesk,
    slots: AnswerSlots,
    *,
    login: Callable[[str, str], bool] | None,
    session_user: Callable[[Request], str | None] = lambda request: None,
) -> None:
    """Add `POST /api/ask` to a FastAPI/Starlette `app`, ahead of its catch-all routes."""

    async def ask(request: Request) -> JSONResponse:
        if login is not None and session_user(request) is None and not _basic_auth_ok(request, login):
            return JSONResponse(
                {"error": "log in first: the chat's session cookie, or HTTP Basic credentials"},
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="newsdesk-qa"'},
            )
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": f"request body over {MAX_BODY_BYTES:,} bytes"}, status_code=413)
        status, payload = await run_in_threadpool(answer_request, desk, slots, body)
        return JSONResponse(payload, status_code=status)

    app.router.routes.insert(0, APIRoute("/api/ask", ask, methods=["POST"]))


def answer_request(desk: NewsDesk, slots: AnswerSlots, body: bytes) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON payload) for one `/api/ask` body: the `qa ask --json` result, or an error."""
    try:
        fields = json.loads(body or b"{}")
        if not isinstance(fields, dict) or not isinstance(fields.get("question"), str):
            raise InvalidInputError('send a JSON object with "question" (optional: k, since, until, as_of)')
        k = fields.get("k")
        if k is not None and (not isinstance(k, int) or not 1 <= k <= 50):
            raise InvalidInputError("k must be a whole number from 1 to 50")
        since, until, asked = (fields.get(name) for name in ("since", "until", "as_of"))
        if not all(value is None or isinstance(value, str) for value in (since, until, asked)):
            raise InvalidInputError("since, until and as_of are dates as YYYY-MM-DD strings")
        dates = DateRange.parse(since, until, labels=("since", "until"))
        as_of = check_day(asked, "as_of") if asked else None
        with slots:
            result = desk.ask(fields["question"], k=k, dates=dates, as_of=as_of)
    except json.JSONDecodeError as exc:
        return 400, {"error": f"the body is not JSON ({exc})"}
    except InvalidInputError as exc:
        return 400, {"error": str(exc)}
    except UserError as exc:  # busy, a lost Chroma server, a missing model: cannot answer now
        return 503, {"error": str(exc)}
    return 200, result.to_json()


def _basic_auth_ok(request: Request, login: Callable[[str, str], bool]) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return login(user, password)
