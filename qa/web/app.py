"""The Gradio Blocks page and its launch with safe defaults. Gradio's types stay inside `qa.web`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import SecretStr

from qa.errors import InvalidInputError
from qa.service import NewsDesk
from qa.settings import Settings, StageConfig
from qa.web.api import AnswerSlots, install_api
from qa.web.handlers import FETCH_JOBS, WebApp
from qa.web.login import LoginCheck, LoginThrottle, install_login_throttle
from qa.web.views import render_sources_panel

__all__ = ["LoginCheck", "WebConfig", "build_app", "launch", "listening_line", "serve"]

STATIC = Path(__file__).with_name("static")
# Each kind of work has its own queue slots, so one never waits on another: answers (one model), index
# writes from the page (uploads and deletes, one at a time), and fetches from the URL box (the network).
_ANSWERS = "desk"
_INDEX_WRITES = "index"
_FETCHES = "fetch"


@dataclass(frozen=True)
class WebConfig(StageConfig):
    """How the web chat is served; each field is the setting of the same name."""

    web_host: str
    web_port: int
    web_auth_user: str | None
    web_auth_password: SecretStr | None
    web_concurrency_limit: int
    web_queue_max_size: int
    web_max_upload_mb: int
    data_dir: Path  # never served: the index and the feedback log


@dataclass
class _ChatTab:
    chatbot: Any
    question: Any
    ask: Any
    new_chat: Any
    k: Any
    since: Any
    until: Any
    as_of: Any
    comment: Any
    up: Any
    down: Any
    feedback_status: Any


@dataclass
class _ArticlesTab:
    files: Any
    ingest: Any
    url: Any
    add_url: Any
    cancel_fetch: Any
    results: Any
    search: Any
    library: Any
    picker: Any
    delete: Any
    delete_status: Any


def build_app(desk: NewsDesk, slots: AnswerSlots | None = None) -> gr.Blocks:
    """The Gradio Blocks app: header, chat with sources panel and settings, articles tab."""
    web = WebApp(desk, slots)
    with gr.Blocks(title="newsdesk-qa", analytics_enabled=False) as app:
        header = gr.HTML(web.header(), elem_id="nd-header", js_on_load=None)
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                chat = _chat_column(desk.settings)
                with gr.Column(scale=2):
                    sources = gr.HTML(
                        render_sources_panel([], desk.settings.min_score),
                        elem_id="nd-sources",
                        js_on_load=None,
                        max_height=760,
                    )
            with gr.Tab("Articles", id="articles"):
                articles = _articles_tab()
        _wire_chat(web, chat, sources, turns)
        _wire_articles(web, articles, header)
        app.load(
            web.refresh,
            [articles.search],
            [header, articles.library, articles.picker],
            show_progress="hidden",
        )
    return app


def _chat_column(settings: Settings) -> _ChatTab:
    with gr.Column(scale=3):
        chatbot = gr.Chatbot(
            elem_id="nd-chat",
            label="Answers",
            height=500,
            render_markdown=False,  # answers arrive as HTML rendered from escaped text by qa.web.views
            sanitize_html=True,
            allow_tags=False,
            feedback_options=("Like", "Dislike"),
            buttons=["copy"],
            placeholder="Ask a question about the indexed articles.",
        )
        with gr.Row():
            question = gr.Textbox(
                elem_id="nd-question",
                placeholder="Ask about the indexed articles (follow-ups use the conversation)",
                show_label=False,
                scale=8,
                lines=1,
                max_lines=4,
            )
            ask = gr.Button("Ask", variant="primary", elem_id="nd-ask", scale=0, min_width=90)
            new_chat = gr.Button("New chat", elem_id="nd-new-chat", scale=0, min_width=130)
        with gr.Accordion("Search settings", open=False, elem_id="nd-settings"):
            k = gr.Slider(1, 20, value=settings.k, step=1, label="Number of sources", elem_id="nd-k")
            with gr.Row():
                since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD", elem_id="nd-since")
                until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD", elem_id="nd-until")
                as_of = gr.Textbox(
                    label="Asked as of (what “this week” means)",
                    placeholder="today",
                    elem_id="nd-as-of",
                )
        with gr.Row():
            comment = gr.Textbox(
                placeholder="Optional comment, sent with your rating",
                show_label=False,
                elem_id="nd-comment",
                scale=5,
            )
            # Words, not emoji: a machine without an emoji font would show empty boxes.
            up = gr.Button("Helpful", elem_id="nd-up", scale=0, min_width=100)
            down = gr.Button("Not helpful", elem_id="nd-down", scale=0, min_width=140)
        feedback_status = gr.HTML("", elem_id="nd-feedback-status", js_on_load=None)
    return _ChatTab(
        chatbot, question, ask, new_chat, k, since, until, as_of, comment, up, down, feedback_status
    )


def _articles_tab() -> _ArticlesTab:
    files = gr.File(
        label="Upload articles (.txt .md .html .htm .json .jsonl .csv .pdf), several at once",
        file_count="multiple",
        type="filepath",
        elem_id="nd-files",
    )
    ingest = gr.Button("Add to the index", variant="primary", elem_id="nd-ingest")
    with gr.Row():
        url = gr.Textbox(
            label="Or an article page or a feed, by URL",
            placeholder="https://example.com/news/story.html or https://example.com/feed.xml",
            elem_id="nd-url",
            scale=5,
        )
        add_url = gr.Button("Add URL or feed", elem_id="nd-add-url", scale=1, min_width=160)
        cancel_fetch = gr.Button("Cancel", elem_id="nd-cancel-fetch", scale=0, min_width=100)
    results = gr.HTML("", elem_id="nd-results", js_on_load=None)
    gr.Markdown("### Indexed articles")
    search = gr.Textbox(
        placeholder="Filter by title, outlet, date or id", show_label=False, elem_id="nd-search"
    )
    library = gr.HTML("", elem_id="nd-library", js_on_load=None)
    with gr.Row():
        picker = gr.Dropdown(
            label="Article to delete", choices=[], elem_id="nd-picker", filterable=True, scale=4
        )
        delete = gr.Button("Delete", variant="stop", elem_id="nd-delete", scale=1)
    delete_status = gr.HTML("", elem_id="nd-delete-status", js_on_load=None)
    return _ArticlesTab(
        files, ingest, url, add_url, cancel_fetch, results, search, library, picker, delete, delete_status
    )


def _wire_chat(web: WebApp, chat: _ChatTab, sources: Any, turns: Any) -> None:
    outputs = [chat.chatbot, sources, turns, chat.question]
    inputs = [chat.question, turns, chat.k, chat.since, chat.until, chat.as_of]
    for trigger in (chat.ask.click, chat.question.submit):
        trigger(web.respond, inputs, outputs, concurrency_id=_ANSWERS, show_progress="hidden")
    cleared = [chat.chatbot, sources, turns, chat.question, chat.feedback_status]
    chat.new_chat.click(web.new_chat, None, cleared)
    # The chatbot's own bin clears the messages: forget the conversation with them.
    chat.chatbot.clear(web.new_chat, None, cleared)
    rated = [chat.feedback_status, chat.comment]
    chat.chatbot.like(web.on_like, [turns, chat.comment], rated)
    chat.up.click(web.thumbs_up, [turns, chat.comment], rated)
    chat.down.click(web.thumbs_down, [turns, chat.comment], rated)


def _wire_articles(web: WebApp, tab: _ArticlesTab, header: Any) -> None:
    tab.ingest.click(
        web.upload,
        [tab.files, tab.search],
        [tab.results, tab.library, tab.picker, header],
        concurrency_id=_INDEX_WRITES,
        concurrency_limit=1,
    )
    fetch = gr.on(
        [tab.add_url.click, tab.url.submit],
        web.fetch_url,
        [tab.url, tab.search],
        [tab.results, tab.library, tab.picker, header, tab.url],
        api_name="add_url",
        concurrency_id=_FETCHES,
        concurrency_limit=FETCH_JOBS,
        show_progress="hidden",  # its progress is the line it writes in the results area
    )
    tab.cancel_fetch.click(web.fetch_cancelled, None, [tab.results], cancels=[fetch], queue=False)
    tab.search.change(web.library, [tab.search], [tab.library, tab.picker], show_progress="hidden")
    tab.delete.click(
        web.delete,
        [tab.picker, tab.search],
        [tab.delete_status, tab.library, tab.picker, header],
        concurrency_id=_INDEX_WRITES,
        concurrency_limit=1,
    )


def launch(
    desk: NewsDesk, *, host: str | None = None, port: int | None = None, block: bool = True
) -> gr.Blocks:
    """Warm the models up, then serve the app with the safe defaults; `block=False` returns at once."""
    web = WebConfig.from_settings(desk.settings)
    auth = _auth(web)
    throttle = LoginThrottle()
    desk.warm_up()  # load the embedding model and start the local LLM now, not at the first question
    slots = AnswerSlots(web.web_concurrency_limit, web.web_queue_max_size)
    app = build_app(desk, slots)
    app.queue(default_concurrency_limit=web.web_concurrency_limit, max_size=web.web_queue_max_size)
    host, port = host or web.web_host, port or web.web_port
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth,
        max_file_size=f"{web.web_max_upload_mb}mb",
        allowed_paths=[],
        # The index and the feedback log are never files a browser may fetch.
        blocked_paths=[str(web.data_dir.resolve())],
        prevent_thread_lock=True,  # the API route goes in first; then block if asked
        show_error=False,
        footer_links=[],
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        strict_cors=True,
        quiet=True,  # Gradio's banner suggests share=True; `listening_line` says what is true here
        theme=_theme(),
        css_paths=[STATIC / "style.css"],
        head=f"<script>\n{(STATIC / 'cite.js').read_text(encoding='utf-8')}</script>",
        # No FastAPI schema at /openapi.json: it would be readable without the login.
        app_kwargs={"openapi_url": None},
    )
    server = app.app  # Gradio's FastAPI app, serving now
    install_api(
        server,
        desk,
        slots,
        login=auth,
        throttle=throttle,
        session_user=lambda request: _session_user(server, request),
    )
    if auth is not None:
        install_login_throttle(server, throttle)
    if block:
        print(listening_line(host, port, login=auth is not None), flush=True)
        app.block_thread()
    return app


def listening_line(host: str, port: int, *, login: bool) -> str:
    """Where the chat listens and who can reach it, in one line for the terminal."""
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    if host in ("127.0.0.1", "localhost", "::1"):
        reach = "this machine only"
    else:
        reach = f"the networks of this machine ({host})"
        if not login:
            reach += ", with no login: set QA_WEB_AUTH_USER and QA_WEB_AUTH_PASSWORD"
    return f"newsdesk-qa chat at {url} (reachable from {reach}); Ctrl-C stops it"


def _session_user(server: Any, request: Any) -> str | None:
    """The user of the chat's login cookie on this request (Gradio's own session), if any."""
    for name in (f"access-token-{server.cookie_id}", f"access-token-unsecure-{server.cookie_id}"):
        token = request.cookies.get(name)
        if token and token in server.tokens:
            return str(server.tokens[token])
    return None


def _theme() -> Any:
    # System fonts: the default theme would fetch its font from Google Fonts.
    return gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def _auth(web: WebConfig) -> LoginCheck | None:
    user, password = web.web_auth_user, web.web_auth_password
    if user is None and password is None:
        return None
    if not user or password is None or not password.get_secret_value():
        raise InvalidInputError("the web login needs both QA_WEB_AUTH_USER and QA_WEB_AUTH_PASSWORD")
    return LoginCheck(user, password.get_secret_value())


def serve(desk: NewsDesk) -> None:
    """Start the web chat on the configured address (127.0.0.1 by default) and block."""
    launch(desk, block=True)
