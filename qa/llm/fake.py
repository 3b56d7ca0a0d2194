"""FAKE chat model for tests and demos, registered as `QA_LLM_MODE=fake`: not a language model.

It streams a fixed reply, or an extractive answer: the source sentence sharing most content words with
the question, cited with its source number, the way the prompt's example answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from qa.results import ABSTAIN_TEXT
from qa.text.sentences import sentences
from qa.text.words import content_words

if TYPE_CHECKING:
    from langchain_core.callbacks import CallbackManagerForLLMRun

    from qa.llm import LlmConfig
    from qa.llm.server import LocalLlamaServer

_SOURCE_RE = re.compile(r"<source\b([^>]*)>(.*?)</source\s*>", re.IGNORECASE | re.DOTALL)
_SOURCE_N_RE = re.compile(r"""(?:^|\s)n\s*=\s*["']?\s*(\d+)""", re.IGNORECASE)
_QUESTION_RE = re.compile(r"^\s*Question\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def extractive_reply(prompt: str) -> str:
    """The fake's answer: the source sentence sharing most content words with the question, cited."""
    sources = list(_SOURCE_RE.finditer(prompt))
    questions = _QUESTION_RE.findall(prompt)
    # Without a "Question:" line, whatever follows the last source is the best guess at the question.
    question = questions[-1] if questions else prompt[sources[-1].end() if sources else 0 :]
    wanted = content_words(question)

    best: tuple[int, str, str] | None = None  # (overlap, sentence, source number); first one wins ties
    for ordinal, match in enumerate(sources, start=1):
        n_match = _SOURCE_N_RE.search(match.group(1))
        number = n_match.group(1) if n_match else str(ordinal)
        for sentence in sentences(match.group(2)):
            sentence = " ".join(sentence.split())
            if not sentence:
                continue
            overlap = len(wanted & content_words(sentence))
            if overlap > 0 and (best is None or overlap > best[0]):
                best = (overlap, sentence, number)
    if best is None:
        return ABSTAIN_TEXT
    # The marker goes before the closing stop, as the prompt's example shows: "... 1.5 million [1]."
    sentence = best[1].rstrip()
    stop = sentence[-1] if sentence[-1:] in ".!?" else ""
    return f"{sentence[: len(sentence) - len(stop)]} [{best[2]}]{stop}"


def _pieces(text: str) -> list[str]:
    """Word-sized pieces whose concatenation is exactly `text` (each piece keeps its leading space)."""
    pieces = re.findall(r"\s*\S+", text)
    if not pieces:
        return [text]
    pieces[-1] += text[sum(map(len, pieces)) :]  # trailing whitespace, if any
    return pieces


class FakeChatModel(BaseChatModel):
    """FAKE chat model for tests and demos, not a language model: it streams a fixed reply or an
    extractive answer (the best-matching source sentence, cited) word by word."""

    reply: str | None = None  # when set, every call answers exactly this

    @property
    def _llm_type(self) -> str:
        return "newsdesk-qa-fake"

    def _reply_for(self, messages: list[BaseMessage]) -> str:
        if self.reply is not None:
            return self.reply
        prompt = next((m.text for m in reversed(messages) if m.type == "human"), "")
        return extractive_reply(prompt)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply_for(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for piece in _pieces(self._reply_for(messages)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


def label(config: LlmConfig) -> str:
    """Just `fake`: what answered is no model."""
    return "fake"


def chat_model(config: LlmConfig, local_server: LocalLlamaServer | None = None) -> FakeChatModel:
    """The fake, with the fixed reply of `llm_fake_reply` if one is set."""
    return FakeChatModel(reply=config.llm_fake_reply)
