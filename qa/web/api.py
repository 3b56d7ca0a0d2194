"""`POST /api/ask` on the running web app: the same JSON as `qa ask --json`, for scripts and monitoring.

Behind the same login as the chat (its session cookie, or HTTP Basic credentials checked by the same
`LoginCheck` and throttled per client and user by the same `LoginThrottle`), within the same limits: at
most `QA_WEB_CONCURRENCY_LIMIT` answers at once, chat and API together, and at most
`QA_WEB_QUEUE_MAX_SIZE` waiting; more are refused with 503. A body over `MAX_BODY_BYTES` is refused with
413 before it is read (by its Content-Length) or as soon as it passes the cap (chunked).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
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
from qa.web.http_input import client_address, read_body_capped
from qa.web.login import LoginThrottle, retry_after_header

log = logging.getLogger(__name__)

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
    throttle: LoginThrottle | None = None,
    session_user: Callable[[Request], str | None] = lambda request: None,
) -> None:
    """Add `POST /api/ask` to a FastAPI/Starlette `app`, ahead of its catch-all routes."""
    throttle = throttle or LoginThrottle()

    async def ask(request: Request) -> JSONResponse:
        try:
            if login is not None and session_user(request) is None:
                refusal = _basic_auth_refusal(request, login, throttle)
                if refusal is not None:
                    return refusal
            body = await read_body_capped(request, MAX_BODY_BYTES)
            if body is None:
                return JSONResponse({"error": f"request body over {MAX_BODY_BYTES:,} bytes"}, status_code=413)
            status, payload = await run_in_threadpool(answer_request, desk, slots, body)
        except Exception as exc:  # a JSON error, never a traceback page; the traceback goes to the log
            return _internal_error(exc)
        return JSONResponse(payload, status_code=status)

    app.router.routes.insert(0, APIRoute("/api/ask", ask, methods=["POST"]))


def answer_request(desk: NewsDesk, slots: AnswerSlots, body: bytes) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON payload) for one `/api/ask` body: the `qa ask --json` result, or an error."""
    try:
        fields = parse_fields(body)
        k = fields.get("k")
        # bool is an int in Python: `"k": true` would otherwise ask for one source.
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 50):
            raise InvalidInputError("k must be a whole number from 1 to 50")
        since, until, asked = (fields.get(name) for name in ("since", "until", "as_of"))
        if not all(value is None or isinstance(value, str) for value in (since, until, asked)):
            raise InvalidInputError("since, until and as_of are dates as YYYY-MM-DD strings")
        dates = DateRange.parse(since, until, labels=("since", "until"))
        as_of = check_day(asked, "as_of") if asked else None
        with slots:
            result = desk.ask(fields["question"], k=k, dates=dates, as_of=as_of)
    except InvalidInputError as exc:
        return 400, {"error": str(exc)}
    except UserError as exc:  # busy, a lost Chroma server, a missing model: cannot answer now
        return 503, {"error": str(exc)}
    except Exception as exc:  # a bug: one line to the client, the traceback to the log
        return 500, _internal_error_payload(exc)
    return 200, result.to_json()


def parse_fields(body: bytes) -> dict[str, Any]:
    """The JSON object of an `/api/ask` body; InvalidInputError says what is wrong with any other body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"the body is not UTF-8 text (byte {exc.start} is not)") from None
    try:
        fields = json.loads(text or "{}")
    except RecursionError:
        raise InvalidInputError("the body is nested too deeply to be a question") from None
    except ValueError as exc:  # JSONDecodeError, and a number over Python's digit limit
        raise InvalidInputError(f"the body is not JSON ({exc})") from None
    if not isinstance(fields, dict) or not isinstance(fields.get("question"), str):
        raise InvalidInputError('send a JSON object with "question" (optional: k, since, until, as_of)')
    if _has_lone_surrogate(fields):
        raise InvalidInputError("the body has a lone surrogate (a \\ud800-\\udfff escape alone): not text")
    return fields


def _has_lone_surrogate(value: Any) -> bool:
    # A walk with a stack, not recursion: the parsed JSON may be nested nearly as deep as the parser allows.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _basic_auth_refusal(
    request: Request, login: Callable[[str, str], bool], throttle: LoginThrottle
) -> JSONResponse | None:
    """None when the Basic credentials are right; else the 401 (none or wrong) or 429 (throttled)."""
    credentials = _basic_credentials(request)
    if credentials is not None:
        user, password = credentials
        client = client_address(request)
        wait = throttle.admit(client, user)
        if wait > 0:
            return JSONResponse(
                {"error": "too many wrong passwords from this address: retry later"},
                status_code=429,
                headers=retry_after_header(wait),
            )
        if login(user, password):
            throttle.succeeded(client, user)
            return None
        throttle.failed(client, user)
    return JSONResponse(
        {"error": "log in first: the chat's session cookie, or HTTP Basic credentials"},
        status_code=401,
        headers={"WWW-Authenticate": 'Basic realm="newsdesk-qa"'},
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _internal_error_payload(exc: BaseException) -> dict[str, str]:
    log.error("POST /api/ask failed", exc_info=exc)
    line = f"internal error ({type(exc).__name__}); the server log has the details"
    return {"error": line}


def _internal_error(exc: BaseException) -> JSONResponse:
    return JSONResponse(_internal_error_payload(exc), status_code=500)
