"""Stage 6: answers from evidence. `AnswerEngine` retrieves, prompts, streams and checks citations.

Modules: `prompt` (what the model reads), `citations` (markers checked while streaming, supporting
sentences), `condense` (follow-ups made standalone), `stream` (the answer stream type), `engine`.
"""
