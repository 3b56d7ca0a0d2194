"""What the app's own routes read from a request: its body within a cap, and who sent it."""

from __future__ import annotations

from fastapi import Request


async def read_body_capped(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is over `limit` bytes: refused by its Content-Length before
    any of it is read, else (chunked) as soon as the bytes read pass the cap; the rest stays unread."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def client_address(request: Request) -> str:
    """The address the request came from (the throttle's key, with the user)."""
    return request.client.host if request.client else "unknown"
