"""Stage 7 (web): a Gradio chat on the same answer chain as the CLI. Gradio types stay in this module."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.answer import AnswerResult
    from qa.service import NewsDesk


def render_sources(result: AnswerResult) -> str:
    """Cited sources as escaped Markdown: title, outlet, date, link and the supporting sentence."""
    if result.abstained:
        return ""
    lines = ["", "", "**Sources**"]
    for c in result.citations:
        meta = " · ".join(html.escape(x) for x in (c.source, c.published) if x)
        title = html.escape(c.title)
        link = f"[{title}]({html.escape(c.url, quote=True)})" if c.url and c.url.startswith("http") else title
        lines.append(f"- [{c.n}] {link}" + (f" ({meta})" if meta else ""))
        lines.append(f"  > {html.escape(c.quote)}")
    return "\n".join(lines)


def build_app(desk: NewsDesk) -> Any:
    """The Gradio Blocks app: a header with the models in use and a streaming chat."""
    import gradio as gr

    from qa.answer import AnswerResult

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        shown = ""
        for event in desk.engine.stream(message):
            if isinstance(event, AnswerResult):
                yield html.escape(event.answer) + render_sources(event)
            else:
                shown += event
                yield html.escape(shown)

    stats = desk.stats()
    header = (
        f"**newsdesk-qa** — LLM `{desk.settings.llm_mode}:{desk.settings.llm_model}` · "
        f"embeddings `{stats['embedding_model']}` · {stats['articles']} article(s) indexed"
    )
    with gr.Blocks(title="newsdesk-qa") as app:
        gr.Markdown(header)
        gr.ChatInterface(respond, flagging_mode="never", save_history=False)
    return app


def serve(desk: NewsDesk) -> None:
    """Start the web chat on the configured loopback address and block."""
    app = build_app(desk)
    app.queue(default_concurrency_limit=1, max_size=32)
    app.launch(
        server_name=desk.settings.web_host,
        server_port=desk.settings.web_port,
        share=False,
        show_error=True,
        footer_links=[],
    )
