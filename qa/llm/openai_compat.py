"""LLM backend `openai`: any OpenAI-compatible endpoint (registered in qa.backends)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from qa.errors import LLMConfigError
from qa.llm import LlmConfig

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.llm.server import LocalLlamaServer

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"


def label(config: LlmConfig) -> str:
    """`openai:`, the model and the endpoint."""
    return f"openai:{config.llm_model}@{config.llm_base_url or OPENAI_DEFAULT_BASE_URL}"


def chat_model(config: LlmConfig, local_server: LocalLlamaServer | None = None) -> BaseChatModel:
    """A streaming chat model on the endpoint; refused without an endpoint or a key."""
    from langchain_openai import ChatOpenAI

    api_key = config.llm_api_key.get_secret_value() if config.llm_api_key else None
    if not config.llm_base_url and not api_key:
        raise LLMConfigError(
            "llm_mode='openai' needs an endpoint: set QA_LLM_BASE_URL (an OpenAI-compatible server) "
            "and/or QA_LLM_API_KEY (for api.openai.com, or an endpoint that needs a key)."
        )
    # Both passed explicitly so ChatOpenAI does not pick up OPENAI_API_KEY / OPENAI_BASE_URL from
    # the environment: that could send an OpenAI key to a third-party QA_LLM_BASE_URL.
    return ChatOpenAI(
        base_url=config.llm_base_url or OPENAI_DEFAULT_BASE_URL,
        api_key=SecretStr(api_key or "unused"),
        model=config.llm_model,
        temperature=config.llm_temperature,
        max_completion_tokens=config.llm_max_tokens,
        timeout=config.llm_timeout_s,
        max_retries=2,
        streaming=True,
    )
