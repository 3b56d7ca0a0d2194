"""LLM backend `local`: the packaged GGUF model served by llama.cpp on loopback (see qa.backends)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from qa.errors import LLMConfigError
from qa.llm import ChatBackend, LlmConfig, _exact_or_estimated

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.llm.server import LocalLlamaServer


def label(config: LlmConfig) -> str:
    """`local:` and the packaged model's name, or the GGUF file's name."""
    model = config.llm_model
    return f"local:{Path(model).name if model.endswith('.gguf') else model}"


def open_backend(config: LlmConfig, label: str) -> ChatBackend:
    """Start llama.cpp on the model, and a chat model talking to it; the backend owns the server."""
    from qa.llm.packaged import resolve_gguf
    from qa.llm.server import LocalLlamaServer

    server = LocalLlamaServer.from_config(resolve_gguf(config.llm_model, config.model_cache_dir), config)
    try:
        model = chat_model(config, server)
    except BaseException:
        server.close()
        raise
    return ChatBackend(model, label, _exact_or_estimated(server), server)


def _loopback_options(chat_openai: type, config: LlmConfig) -> dict[str, Any]:
    """ChatOpenAI options that only some langchain-openai versions know (unknown names become API params)."""
    fields = getattr(chat_openai, "model_fields", {})
    options: dict[str, Any] = {}
    if "http_socket_options" in fields:
        # TCP keepalive tuning is pointless on loopback, and with our own clients it only logs a warning.
        options["http_socket_options"] = ()
    if "stream_chunk_timeout" in fields:
        # On a CPU the first token can come minutes after the request (a long prompt is read first);
        # the default 120 s gap limit would abort answers that llm_timeout_s allows.
        options["stream_chunk_timeout"] = config.llm_timeout_s
    return options


def chat_model(config: LlmConfig, local_server: LocalLlamaServer | None = None) -> BaseChatModel:
    """A chat model talking to `local_server` (its caller owns the server's lifetime)."""
    import openai
    from langchain_openai import ChatOpenAI

    if local_server is None:
        # The caller owns the server's lifetime (NewsDesk does): dropping it stops the model.
        raise LLMConfigError("llm_mode='local' needs a running LocalLlamaServer: use open_backend(config)")
    base_url = local_server.base_url + "/v1"
    # Nothing here reaches the internet: the client talks to the loopback server only, and
    # tiktoken (which downloads its tables) is used only by get_num_tokens, which we never call.
    # trust_env=False because an HTTP(S)_PROXY in the environment would otherwise route the
    # loopback requests (prompt and articles included) to the proxy, which cannot reach them.
    return ChatOpenAI(
        **_loopback_options(ChatOpenAI, config),
        base_url=base_url,
        http_client=openai.DefaultHttpxClient(trust_env=False),
        http_async_client=openai.DefaultAsyncHttpxClient(trust_env=False),
        api_key=SecretStr(local_server.api_key),
        model=config.llm_model,
        temperature=config.llm_temperature,
        max_completion_tokens=config.llm_max_tokens,
        timeout=config.llm_timeout_s,
        streaming=True,
        max_retries=0,  # a local failure is not transient; retrying only triples the wait
    )
