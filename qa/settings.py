"""One typed settings object for every stage, read from `QA_*` environment variables and `.env`.

The object is built once at the edge (CLI, web app, tests) and passed in; no module keeps a global copy.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa import __version__
from qa.backends import EMBEDDING_BACKENDS, LLM_BACKENDS, STORE_BACKENDS, checked_name

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_LOCAL_LLM = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_USER_AGENT = (
    f"newsdesk-qa/{__version__} (news question answering; set QA_FETCH_USER_AGENT to add a contact)"
)


def _default_cache_dir() -> Path:
    """Where assembled model files live: `$XDG_CACHE_HOME/newsdesk-qa`, else `~/.cache/newsdesk-qa`."""
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsdesk-qa"


class Settings(BaseSettings):
    """Everything that changes what the product does; each field is also `QA_<NAME>` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="QA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage -------------------------------------------------------------------------------
    store_backend: str = Field(
        "chroma", description="chroma: embedded or a server; memory: this process only (tests, demos)."
    )
    data_dir: Path = Field(Path("data"), description="Index, lock file and feedback live here.")
    collection: str = Field(
        "articles",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,60}[a-zA-Z0-9]$",
        description="Chroma collection holding the chunks (3-62 chars: letters, digits, . _ -).",
    )
    chroma_host: str | None = Field(None, description="Set to talk to a Chroma server instead.")
    chroma_port: int = 8000
    chroma_ssl: bool = False
    lock_timeout_s: float = Field(
        30.0, ge=0, description="How long a second writer waits for the ingest lock before giving up."
    )

    # --- embedding and chunking ----------------------------------------------------------------
    embedding_backend: str = Field(
        "sentence-transformers",
        description="sentence-transformers: the model on torch, fp32; onnx-fp32: the same model as a fused "
        "fp32 ONNX graph (exported once into model_cache_dir, run by ONNX Runtime; no torch, the same "
        "vectors); onnx-int8: quantised to int8 (faster on CPUs with VNNI, vectors within ~0.99 cosine). "
        "An index holds one kind: switching means re-ingesting.",
    )
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL, description="Any sentence-transformers model name or local path."
    )
    embedding_device: str = "cpu"
    embedding_batch_size: int = Field(32, ge=1)
    max_article_chars: int = Field(
        1_000_000,
        ge=1000,
        description="Longest article indexed, in characters (a long book); longer ones are rejected.",
    )
    chunk_tokens: int = Field(
        200, ge=16, description="Most word pieces in a chunk; capped at the model's max sequence."
    )
    chunk_overlap_tokens: int = Field(40, ge=0, description="Word pieces shared by neighbouring chunks.")
    chunk_headline: bool = Field(
        True, description="Embed and keyword-index each chunk together with its article's headline."
    )

    # --- retrieval -------------------------------------------------------------------------------
    k: int = Field(5, ge=1, le=50, description="How many chunks the answer step sees.")
    # The evidence judgment (issue 21) decides what the model may answer from; a chunk's similarity alone
    # said little (0.13-0.6 for the passage that answers a short user question).
    min_score: float = Field(
        0.0,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity below which a chunk is not relevant; none left means abstain.",
    )

    retrieval_mode: Literal["hybrid", "dense", "keyword"] = Field(
        "hybrid", description="hybrid: dense and keyword (BM25) search fused; or either one alone."
    )
    retrieval_candidates: int = Field(
        50, ge=1, description="Chunks each search (dense, keyword) brings to the fusion."
    )
    fusion_rrf_k: float = Field(60.0, gt=0, description="Reciprocal rank fusion constant: 1/(k + rank).")
    fusion_keyword_weight: float = Field(
        1.0, ge=0, description="Weight of the keyword ranking in the fusion (the dense ranking has 1)."
    )
    article_further_chunks_weight: float = Field(
        0.25, ge=0, le=1, description="An article scores its best chunk + w x its 2nd + w^2 x its 3rd ..."
    )
    time_awareness: bool = Field(
        True, description="Read the question's time words and weigh articles by their date."
    )
    time_outside_weight: float = Field(
        0.7, gt=0, le=1, description="Weight of an article published outside the period a question names."
    )
    time_slack_days: int = Field(
        2, ge=0, description="Days after a named period whose articles still count as in it (reports lag)."
    )
    recency_half_life_days: float = Field(
        180.0, ge=0, description="An article's weight halves with every this many days of age (0: off)."
    )
    recency_floor: float = Field(0.7, gt=0, le=1, description="The lowest weight age alone can give.")
    dedup_containment: float = Field(
        0.8, gt=0, le=1, description="Share of shared 5-word runs that makes passages copies (1: off)."
    )
    max_chunks_per_article: int = Field(
        2, ge=1, description="Chunks of one article in the top k (more only when fewer articles match)."
    )

    # Only for questions clearly unrelated to anything indexed ("Who won the 2018 World Cup?" over a Huawei
    # article: 0.06): a quarter of the lowest answerable dev question's 0.41 (issue 21; it was 0.55).
    min_best_score: float = Field(
        0.1,
        ge=-1.0,
        le=1.0,
        description="Decline without the LLM when the best passage's cosine similarity is below this "
        "(the floor for questions unrelated to anything indexed; the evidence judgment decides the rest).",
    )

    # --- stories ---------------------------------------------------------------------------------
    # Chosen on the realtimeqa-2023 timeline stories (best pairwise F1 of 0.2/0.25/0.3/0.35), reported on
    # 2025 (docs/EVALUATION.md, "Stories").
    story_min_similarity: float = Field(
        0.25,
        gt=0,
        le=1,
        description="How alike two articles' headline and lead must be (cosine of rare words) to be "
        "linked into one story.",
    )
    story_max_gap_days: int = Field(
        21, ge=0, description="Longest gap in days between two linked articles (undated ones link by words)."
    )

    # --- answer ----------------------------------------------------------------------------------
    max_question_chars: int = Field(
        2000,
        ge=20,
        description="Longest question accepted, in characters; a longer one is refused before any work.",
    )
    # 3 sentences (6 for the first-ranked article) with those holding the kind of answer asked for
    # counted in: the evidence states the answer for 92 of 95 user-typed questions about short articles
    # (4 flat, by shared words only: 75) and as often as before on both dev sets, for ~8 % more words
    # (issue 21; issue 11 chose 4 flat: what the model reads before its first token).
    evidence_sentences: int = Field(
        3,
        ge=0,
        description="Sentences per article the model reads: those sharing the question's rarest words "
        "or holding the kind of answer asked for (0: every sentence of the retrieved chunks).",
    )
    evidence_first_sentences: int = Field(
        6,
        ge=0,
        description="Sentences the first-ranked article gives (0: every sentence of its retrieved chunks).",
    )
    # Chosen on realtimeqa-2025 (the largest share with no answer-stating evidence lost there), checked
    # on realtimeqa-2023 and the user suite (docs/EVALUATION.md, "Fewer, closer sources").
    evidence_min_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="An article besides the first-ranked is read only when its sentences cover at least "
        "this share of what the best-covering article's cover of the question's words (0: all are read).",
    )
    evidence_next_sentence: bool = Field(
        False, description="Give the model the sentence after each evidence sentence too (context)."
    )
    answer_support_check: bool = Field(
        True,
        description="Withdraw an answer when no cited sentence holds the names and numbers it adds "
        "to the question.",
    )
    # The fitting set's lowest probability for a question whose evidence states the answer (0.23 on
    # realtimeqa-2023), less 30 % (scripts/fit_judgment.py): room for questions asked otherwise.
    judgment_min: float = Field(
        0.16,
        ge=0.0,
        le=1.0,
        description="Decline before the model when the judged probability that an evidence sentence "
        "states the answer is below this (fitted on a dev set: docs/EVALUATION.md); 0 never declines.",
    )
    cross_article_answers: bool = Field(
        True,
        description='Answer comparisons, "before or after?", "how did it change?" and "do the '
        'reports agree?" from two articles, each side found and cited on its own (no model).',
    )
    llm_mode: str = Field(
        "local", description="local: the packaged model on llama.cpp; openai: an endpoint; fake: tests."
    )
    llm_model: str = Field(
        DEFAULT_LOCAL_LLM,
        description="local: packaged model name or GGUF path; openai: the endpoint's model name.",
    )
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint (openai mode).")
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(180.0, gt=0)
    llm_context_window: int = Field(4096, ge=512, description="Tokens the model can see at once.")
    llm_max_tokens: int = Field(256, ge=16, description="Longest answer, in tokens.")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_threads: int = Field(2, ge=1, description="CPU threads for the local model.")
    llm_log_level: int = Field(
        1, ge=1, le=4, description="llama.cpp's own log: 1 errors, 2 warnings, 3 info, 4 debug (qa -v: 3)."
    )
    llm_fake_reply: str | None = Field(
        None, description="fake mode only (tests): reply with this text instead of the extractive fake."
    )
    model_cache_dir: Path = Field(default_factory=_default_cache_dir)

    # --- fetching pages and feeds ----------------------------------------------------------------
    fetch_allow_private: bool = Field(
        False,
        description="Allow requests to loopback, private and link-local addresses (tests, an intranet); "
        "off, so that a URL typed into the web chat cannot reach the server's own network.",
    )
    fetch_timeout_s: float = Field(
        20.0, gt=0, description="Seconds one page or feed may take, from connecting to its last byte."
    )
    fetch_max_bytes: int = Field(
        5_000_000, ge=1000, description="Largest page or feed read, in bytes (after decompression)."
    )
    fetch_host_delay_s: float = Field(
        1.0, ge=0, description="Seconds between two requests to the same host (politeness)."
    )
    fetch_max_feed_items: int = Field(
        100,
        ge=1,
        description="Most entries read from one feed, newest first (by date, else feed order); the "
        "rest are noted in the report, not fetched.",
    )
    fetch_respect_robots: bool = Field(True, description="Honour each site's robots.txt.")
    fetch_user_agent: str = Field(
        DEFAULT_USER_AGENT, min_length=1, description="The User-Agent sent with every request."
    )

    # --- web -------------------------------------------------------------------------------------
    web_host: str = "127.0.0.1"
    web_port: int = 7860
    web_auth_user: str | None = Field(None, description="Web chat login form: the user (and password).")
    web_auth_password: SecretStr | None = Field(None, description="Web chat login form: the password.")
    web_concurrency_limit: int = Field(1, ge=1, description="Questions (chat and API) answered at once.")
    web_queue_max_size: int = Field(32, ge=1, description="Requests that may wait; more are refused.")
    web_max_upload_mb: int = Field(50, ge=1, description="Largest file the web chat accepts, in MB.")

    @field_validator("store_backend")
    @classmethod
    def _known_store(cls, name: str) -> str:
        return checked_name(STORE_BACKENDS, "store_backend", name)

    @field_validator("embedding_backend")
    @classmethod
    def _known_embedder(cls, name: str) -> str:
        return checked_name(EMBEDDING_BACKENDS, "embedding_backend", name)

    @field_validator("llm_mode")
    @classmethod
    def _known_llm(cls, name: str) -> str:
        return checked_name(LLM_BACKENDS, "llm_mode", name)

    @model_validator(mode="after")
    def _check_overlap(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap_tokens ({self.chunk_overlap_tokens}) must be smaller than "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        return self

    @property
    def chroma_path(self) -> Path:
        """Directory of the embedded Chroma database."""
        return self.data_dir / "chroma"

    @property
    def lock_path(self) -> Path:
        """The one-writer-at-a-time lock file."""
        return self.data_dir / "ingest.lock"

    @property
    def sources_path(self) -> Path:
        """The saved feeds and pages `qa refresh` fetches (`qa sources add NAME URL`)."""
        return self.data_dir / "sources.json"

    @property
    def fetch_state_path(self) -> Path:
        """What each fetched URL returned last time (ETag, Last-Modified, article), and the last refresh."""
        return self.data_dir / "fetch-state.json"

    @property
    def feedback_path(self) -> Path:
        """Where the web chat appends thumbs up/down feedback, one JSON object per line."""
        return self.data_dir / "feedback.jsonl"


class Dataclass(Protocol):
    """Any dataclass (what `config_record` serialises)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


class StageConfig:
    """Base of a stage's frozen config (a dataclass whose fields are the settings of the same names)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """This stage's config: each field the setting of the same name, as `settings` has it."""
        names = [field.name for field in dataclasses.fields(cls)]
        return cls(**{name: getattr(settings, name) for name in names})


def config_record(config: Dataclass) -> dict[str, Any]:
    """A stage config as recorded (a run's config, an index's fingerprint): every field, JSON-ready;
    a secret only as whether it is set."""
    record: dict[str, Any] = {}
    for name, value in dataclasses.asdict(config).items():
        if isinstance(value, SecretStr):
            value = "set"
        elif isinstance(value, Path):
            value = str(value)
        record[name] = value
    return record
