"""What a question must be before any work is done on it: not empty, not longer than the limit."""

from __future__ import annotations

from qa.errors import InvalidInputError


def checked_question(question: str, max_chars: int) -> str:
    """`question` stripped; InvalidInputError when it is empty or longer than `max_chars` characters."""
    question = question.strip()
    if not question:
        raise InvalidInputError("the question is empty")
    if len(question) > max_chars:
        raise InvalidInputError(
            f"the question is {len(question):,} characters long; the limit is {max_chars:,} "
            "(QA_MAX_QUESTION_CHARS): ask it shorter"
        )
    return question
