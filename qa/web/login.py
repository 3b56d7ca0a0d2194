"""The login: a constant-time password check, and a back-off per client and user that refuses with
429 instead of sleeping, so a guesser slows down only itself.

Both doors use it: the chat's login form (`POST /login`, checked here before Gradio's own login makes
the session cookie) and HTTP Basic credentials on `POST /api/ask`.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm

from qa.web.http_input import client_address, read_body_capped

MAX_LOGIN_BODY_BYTES = 16_000  # a user and a password in a form; more is not a login
MAX_USER_CHARS = 256  # a longer "user" is cut for the throttle's key: an attacker may not grow memory


class LoginCheck:
    """The configured user and password, compared in constant time; no waiting here (`LoginThrottle`)."""

    def __init__(self, user: str, password: str) -> None:
        self._user = user.encode()
        self._password = password.encode()

    def __call__(self, user: str, password: str) -> bool:
        """True for the configured user and password."""
        # Both comparisons always run: the time taken says nothing about which one was wrong.
        right_user = hmac.compare_digest(user.encode("utf-8", "surrogatepass"), self._user)
        right_password = hmac.compare_digest(password.encode("utf-8", "surrogatepass"), self._password)
        return right_user and right_password


@dataclass
class _Record:
    failures: int
    locked_until: float
    last_failure: float


class LoginThrottle:
    """Per (client address, user): after a failure, further attempts within a back-off window are refused
    (0.5 s after the first failure, doubling up to `MAX_DELAY_S`); a success clears the record.

    Nothing sleeps: a refused attempt is answered at once (HTTP 429 with Retry-After), so one client's
    guessing never delays another client's request, nor any other page of the app."""

    FIRST_DELAY_S = 0.5
    MAX_DELAY_S = 60.0
    FORGET_AFTER_S = 15 * 60  # failures this old no longer count (and their record is dropped)
    MAX_RECORDS = 10_000  # the oldest records go first beyond this: memory stays bounded under a flood

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: OrderedDict[tuple[str, str], _Record] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str, user: str) -> float:
        """Seconds until `client` may try `user` again; 0 when it may try now."""
        with self._lock:
            record = self._current(client, user)
            return max(0.0, record.locked_until - self._clock()) if record else 0.0

    def admit(self, client: str, user: str) -> float:
        """0 when `client` may try `user` now, and the attempt is then reserved: a parallel attempt is
        refused until this one's outcome is told (`failed` or `succeeded`). Otherwise the seconds to
        wait. Without the reservation a burst of parallel guesses would all pass an open window."""
        now = self._clock()
        with self._lock:
            record = self._current(client, user)
            if record is not None and record.locked_until > now:
                return record.locked_until - now
            record = record or _Record(0, now, now)
            record.locked_until = now + self._delay(record.failures + 1)
            self._remember(_key(client, user), record)
        return 0.0

    def failed(self, client: str, user: str) -> float:
        """Count a wrong password; returns the seconds this client must now wait for this user."""
        now = self._clock()
        with self._lock:
            record = self._current(client, user) or _Record(0, now, now)
            record.failures += 1
            delay = self._delay(record.failures)
            record.locked_until, record.last_failure = now + delay, now
            self._remember(_key(client, user), record)
        return delay

    def succeeded(self, client: str, user: str) -> None:
        """A right password: this client starts afresh for this user."""
        with self._lock:
            self._records.pop(_key(client, user), None)

    def _delay(self, failures: int) -> float:
        return min(self.FIRST_DELAY_S * 2 ** min(failures - 1, 32), self.MAX_DELAY_S)

    def _remember(self, key: tuple[str, str], record: _Record) -> None:
        self._records[key] = record
        self._records.move_to_end(key)
        while len(self._records) > self.MAX_RECORDS:
            self._records.popitem(last=False)

    def _current(self, client: str, user: str) -> _Record | None:
        key = _key(client, user)
        record = self._records.get(key)
        if record is not None and self._clock() - record.last_failure > self.FORGET_AFTER_S:
            del self._records[key]
            return None
        return record


def retry_after_header(seconds: float) -> dict[str, str]:
    """The Retry-After header (whole seconds, at least 1) of a throttled attempt."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def install_login_throttle(app: Any, throttle: LoginThrottle) -> None:
    """Put a throttled `POST /login` ahead of Gradio's: a client+user in its back-off window gets 429
    with Retry-After; any other attempt is handed to Gradio's login (which checks the password with
    `app.auth` and makes the session cookie), and its outcome is counted."""
    gradio_login = _post_route(app, "/login")

    async def login(request: Request) -> Response:
        body = await read_body_capped(request, MAX_LOGIN_BODY_BYTES)
        if body is None:
            return JSONResponse({"detail": "the login form is too large"}, status_code=413)
        request._body = body  # Starlette parses the form from the body already read
        form = await request.form()
        user, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
        client = client_address(request)
        wait = throttle.admit(client, user)
        if wait > 0:
            return JSONResponse(
                {"detail": f"Too many wrong passwords: try again in {max(1, math.ceil(wait))} s."},
                status_code=429,
                headers=retry_after_header(wait),
            )
        try:
            response: Response = await gradio_login.endpoint(
                request, OAuth2PasswordRequestForm(username=user, password=password)
            )
        except HTTPException as refused:  # Gradio's "Incorrect credentials."
            throttle.failed(client, user)
            return JSONResponse({"detail": refused.detail}, status_code=refused.status_code)
        throttle.succeeded(client, user)
        return response

    for path in ("/login", "/login/"):
        app.router.routes.insert(0, APIRoute(path, login, methods=["POST"]))


def _post_route(app: Any, path: str) -> APIRoute:
    for route in app.router.routes:
        if isinstance(route, APIRoute) and route.path == path and "POST" in (route.methods or ()):
            return route
    raise RuntimeError(f"Gradio's app has no POST {path} route to put the login throttle before")


def _key(client: str, user: str) -> tuple[str, str]:
    return client, user[:MAX_USER_CHARS]
