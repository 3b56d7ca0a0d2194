"""The answer step's language model: a packaged local GGUF served by llama.cpp, any OpenAI-compatible
endpoint, or a labelled fake for tests; chosen by `LlmConfig.llm_mode` from the table in `qa.backends`.

LangChain types stay inside this package and `qa.answer`; the rest of the product sees `open_backend`.
To add a backend: its module here (`label`, `chat_model`, optionally `open_backend` with its own token
counter) and one entry in `qa.backends.LLM_BACKENDS`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pydantic import SecretStr

from qa.backends import LLM_BACKENDS, backend_module
from qa.settings import StageConfig

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.llm.server import LocalLlamaServer

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class LlmConfig(StageConfig):
    """The language model and how it is run; each field is the setting of the same name."""

    llm_mode: str
    llm_model: str
    llm_base_url: str | None
    llm_api_key: SecretStr | None
    llm_timeout_s: float
    llm_context_window: int
    llm_max_tokens: int
    llm_temperature: float
    llm_threads: int
    llm_log_level: int
    llm_fake_reply: str | None
    model_cache_dir: Path


def _module(config: LlmConfig) -> ModuleType:
    return backend_module(LLM_BACKENDS, "llm_mode", config.llm_mode)


def open_backend(config: LlmConfig, *, chat_model: BaseChatModel | None = None) -> ChatBackend:
    """The backend `config.llm_mode` asks for (local mode starts llama.cpp); `chat_model` overrides it."""
    label = describe_llm(config)
    if chat_model is not None:
        return ChatBackend(chat_model, label, estimate_prompt_tokens)
    module = _module(config)
    if hasattr(module, "open_backend"):  # a backend that owns a server, or counts tokens its own way
        backend: ChatBackend = module.open_backend(config, label)
        return backend
    return ChatBackend(create_chat_model(config), label, estimate_prompt_tokens)


def create_chat_model(config: LlmConfig, *, local_server: LocalLlamaServer | None = None) -> BaseChatModel:
    """The chat model that `config.llm_mode` asks for (the local one needs its running server)."""
    model: BaseChatModel = _module(config).chat_model(config, local_server)
    return model


def describe_llm(config: LlmConfig) -> str:
    """A short label for logs and the UI, e.g. `local:qwen2.5-coder-1.5b-instruct-q4_k_m`."""
    return str(_module(config).label(config))


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
