"""Follow-ups: a question that leans on the conversation ("And next year?") rewritten to stand alone."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from qa.answer.prompt import is_abstention
from qa.llm import llm_call_errors
from qa.text.markers import WRITTEN_MARKER, strip_markers
from qa.text.words import content_words

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

CONDENSE_INSTRUCTIONS = (
    "Rewrite the follow-up question as one standalone question that can be understood without the "
    "conversation: replace words like 'it', 'they', 'that' or 'next year' by what they refer to. "
    "Reply with the rewritten question only."
)
CONDENSE_MAX_TOKENS = 48
_CONDENSE_TURNS = 3  # recent turns resolve "it" / "next year"; older ones only lengthen the prompt
_CONDENSE_ANSWER_CHARS = 300
_CONDENSE_MAX_WORDS = 40
# One worked example, as for answers: the small local models copy a shown rewrite more reliably.
_CONDENSE_EXAMPLE = (
    "Conversation:\nUser: When did the dock workers in Rotterdam end their strike?\n"
    "Assistant: They ended the strike on Friday after a pay deal.\n\n"
    f"Follow-up question: How big was the raise?\n\n{CONDENSE_INSTRUCTIONS}"
)
_CONDENSE_EXAMPLE_ANSWER = "How big was the pay raise that ended the Rotterdam dock workers' strike?"
_CONDENSE_PREFIX = re.compile(r"^\s*(?:(?:standalone|rewritten|follow-up)\s+)*question\s*:\s*", re.I)


def condense_question(chat_model: BaseChatModel, question: str, history: list[tuple[str, str]]) -> str:
    """A standalone version of a follow-up `question`, given the earlier (question, answer) turns."""
    question = question.strip()
    if not history:
        return question
    fallback = f"{history[-1][0].strip()} {question}"
    turns = []
    for asked, answered in history[-_CONDENSE_TURNS:]:
        # Citation markers mean nothing without the sources; long answers only slow the prompt down.
        answered = strip_markers(answered).strip()[:_CONDENSE_ANSWER_CHARS]
        turns.append(f"User: {asked.strip()}\nAssistant: {answered}")
    prompt = (
        "Conversation:\n"
        + "\n\n".join(turns)
        + f"\n\nFollow-up question: {question}\n\n{CONDENSE_INSTRUCTIONS}"
    )
    messages = [("human", _CONDENSE_EXAMPLE), ("ai", _CONDENSE_EXAMPLE_ANSWER), ("human", prompt)]
    try:
        reply = chat_model.invoke(messages, max_completion_tokens=CONDENSE_MAX_TOKENS, stop=["\n\n"])
    except (
        llm_call_errors()
    ) as exc:  # the fallback still retrieves on topic; the answer reports real failures
        log.warning("condensing the follow-up failed (%s); searching with the previous question too", exc)
        return fallback
    return clean_condensed(str(reply.content), question) or fallback


def clean_condensed(text: str, follow_up: str = "") -> str | None:
    """The rewritten question from a model reply, or None when the reply is empty or not a question."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = _CONDENSE_PREFIX.sub("", line).strip().strip("\"'“”‘’`").strip()
    words = line.split()
    # An answer (cited or abstaining) instead of a question, or runaway text, is worse than the fallback.
    if (
        len(words) < 2
        or len(words) > _CONDENSE_MAX_WORDS
        or WRITTEN_MARKER.search(line)
        or is_abstention(line)
    ):
        return None
    # Small models sometimes repeat an earlier question: the rewrite must keep a word the follow-up asks.
    asked = content_words(follow_up)
    if asked and not asked & content_words(line):
        return None
    return line
