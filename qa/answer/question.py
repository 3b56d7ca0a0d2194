"""What a question must be before any work is done on it: text, not empty, not longer than the limit."""

from __future__ import annotations

from qa.errors import InvalidInputError
from qa.text.control import is_utf8


def checked_question(question: str, max_chars: int) -> str:
    """`question` stripped; InvalidInputError when it is empty, longer than `max_chars` characters or not
    valid text."""
    question = question.strip()
    if not question:
        raise InvalidInputError("the question is empty")
    if len(question) > max_chars:
        raise InvalidInputError(
            f"the question is {len(question):,} characters long; the limit is {max_chars:,} "
            "(QA_MAX_QUESTION_CHARS): ask it shorter"
        )
    if not is_utf8(question):
        # JSON's "\\ud800" escape decodes to one; the store, the model and the terminal all refuse it.
        raise InvalidInputError("the question contains characters that are not valid text (a lone surrogate)")
    return question
