"""The answer step's language model: a packaged local GGUF served by llama.cpp, any OpenAI-compatible
endpoint, or a labelled fake for tests; chosen in one place from `settings.llm_mode`.

LangChain types stay inside this package and `qa.answer`; the rest of the product sees `open_backend`.
To add a backend: a case in `create_chat_model` (and in `Settings.llm_mode`), and a token counter.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from qa.errors import LLMConfigError
from qa.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.llm.server import LocalLlamaServer

log = logging.getLogger(__name__)

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"

PromptCounter = Callable[[Sequence[tuple[str, str]]], int]
"""Tokens a model reads for a prompt given as (role, text) messages."""


@dataclass
class ChatBackend:
    """A chat model with what the answer step needs around it: a label, a token counter, a lifetime."""

    chat_model: BaseChatModel
    label: str  # e.g. local:qwen2.5-coder-1.5b-instruct-q4_k_m
    count_prompt_tokens: PromptCounter
    server: LocalLlamaServer | None = None  # the local model's server, owned (and closed) by this backend

    def close(self) -> None:
        """Stop the local model server, if this backend started one."""
        if self.server is not None:
            self.server.close()
            self.server = None


def open_backend(settings: Settings, *, chat_model: BaseChatModel | None = None) -> ChatBackend:
    """The backend `settings.llm_mode` asks for (local mode starts llama.cpp); `chat_model` overrides it."""
    label = describe_llm(settings)
    if chat_model is not None:
        return ChatBackend(chat_model, label, estimate_prompt_tokens)
    if settings.llm_mode != "local":
        return ChatBackend(create_chat_model(settings), label, estimate_prompt_tokens)
    from qa.llm.packaged import resolve_gguf
    from qa.llm.server import LocalLlamaServer

    server = LocalLlamaServer.from_settings(
        resolve_gguf(settings.llm_model, settings.model_cache_dir), settings
    )
    try:
        model = create_chat_model(settings, local_server=server)
    except BaseException:
        server.close()
        raise
    return ChatBackend(model, label, _exact_or_estimated(server), server)


def _exact_or_estimated(server: LocalLlamaServer) -> PromptCounter:
    """The server's own count; the estimate if the server cannot count (an older llama.cpp, say)."""

    def count(messages: Sequence[tuple[str, str]]) -> int:
        try:
            return server.count_prompt_tokens(messages)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("the model server could not count tokens (%s); estimating instead", exc)
            return estimate_prompt_tokens(messages)

    return count


def estimate_prompt_tokens(messages: Sequence[tuple[str, str]]) -> int:
    """A conservative offline count (about 3 characters per token, 8 per message for the template)."""
    return sum(estimate_tokens(text) + 8 for _, text in messages)


def estimate_tokens(text: str) -> int:
    """A conservative offline token count (about 3 characters per token), no tokenizer download."""
    return math.ceil(len(text) / 3)


def llm_call_errors() -> tuple[type[BaseException], ...]:
    """What a call to the chat model raises when the model or its server fails (not a bug of ours)."""
    import httpx
    import openai

    return (OSError, TimeoutError, openai.APIError, httpx.HTTPError)


def _loopback_options(chat_openai: type, settings: Settings) -> dict[str, Any]:
    """ChatOpenAI options that only some langchain-openai versions know (unknown names become API params)."""
    fields = getattr(chat_openai, "model_fields", {})
    options: dict[str, Any] = {}
    if "http_socket_options" in fields:
        # TCP keepalive tuning is pointless on loopback, and with our own clients it only logs a warning.
        options["http_socket_options"] = ()
    if "stream_chunk_timeout" in fields:
        # On a CPU the first token can come minutes after the request (a long prompt is read first);
        # the default 120 s gap limit would abort answers that llm_timeout_s allows.
        options["stream_chunk_timeout"] = settings.llm_timeout_s
    return options


def create_chat_model(settings: Settings, *, local_server: LocalLlamaServer | None = None) -> BaseChatModel:
    """The chat model that `settings.llm_mode` asks for; local mode starts (or reuses) a llama.cpp server."""
    match settings.llm_mode:
        case "local":
            import openai
            from langchain_openai import ChatOpenAI

            if local_server is None:
                # The caller owns the server's lifetime (NewsDesk does): dropping it stops the model.
                raise LLMConfigError(
                    "llm_mode='local' needs a running LocalLlamaServer: use open_backend(settings)"
                )
            base_url = local_server.base_url + "/v1"
            # Nothing here reaches the internet: the client talks to the loopback server only, and
            # tiktoken (which downloads its tables) is used only by get_num_tokens, which we never call.
            # trust_env=False because an HTTP(S)_PROXY in the environment would otherwise route the
            # loopback requests (prompt and articles included) to the proxy, which cannot reach them.
            return ChatOpenAI(
                **_loopback_options(ChatOpenAI, settings),
                base_url=base_url,
                http_client=openai.DefaultHttpxClient(trust_env=False),
                http_async_client=openai.DefaultAsyncHttpxClient(trust_env=False),
                api_key=SecretStr(local_server.api_key),
                model=settings.llm_model,
                temperature=settings.llm_temperature,
                max_completion_tokens=settings.llm_max_tokens,
                timeout=settings.llm_timeout_s,
                streaming=True,
                max_retries=0,  # a local failure is not transient; retrying only triples the wait
            )
        case "openai":
            from langchain_openai import ChatOpenAI

            api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
            if not settings.llm_base_url and not api_key:
                raise LLMConfigError(
                    "llm_mode='openai' needs an endpoint: set QA_LLM_BASE_URL (an OpenAI-compatible server) "
                    "and/or QA_LLM_API_KEY (for api.openai.com, or an endpoint that needs a key)."
                )
            # Both passed explicitly so ChatOpenAI does not pick up OPENAI_API_KEY / OPENAI_BASE_URL from
            # the environment: that could send an OpenAI key to a third-party QA_LLM_BASE_URL.
            return ChatOpenAI(
                base_url=settings.llm_base_url or OPENAI_DEFAULT_BASE_URL,
                api_key=SecretStr(api_key or "unused"),
                model=settings.llm_model,
                temperature=settings.llm_temperature,
                max_completion_tokens=settings.llm_max_tokens,
                timeout=settings.llm_timeout_s,
                max_retries=2,
                streaming=True,
            )
        case "fake":
            from qa.llm.fake import FakeChatModel

            return FakeChatModel(reply=settings.llm_fake_reply)
        case other:
            raise LLMConfigError(f"Unknown llm_mode {other!r}; expected 'local', 'openai' or 'fake'.")


def describe_llm(settings: Settings) -> str:
    """A short label for logs and the UI, e.g. `local:qwen2.5-coder-1.5b-instruct-q4_k_m`."""
    match settings.llm_mode:
        case "local":
            model = settings.llm_model
            return f"local:{Path(model).name if model.endswith('.gguf') else model}"
        case "openai":
            return f"openai:{settings.llm_model}@{settings.llm_base_url or OPENAI_DEFAULT_BASE_URL}"
        case _:
            return str(settings.llm_mode)
