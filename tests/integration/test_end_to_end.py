"""End to end on real components: bundled MiniLM, real Chroma (embedded and server), the real local LLM."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.chunking import chunk_article
from qa.cleaning import clean_article
from qa.documents import Article
from qa.embedding.sentence_transformer import SentenceTransformerEmbedder
from qa.indexing import HEADLINE_TOKENS, chunking_config, embedding_texts
from qa.loaders import iter_raw_articles
from qa.service import NewsDesk
from qa.settings import DEFAULT_EMBEDDING_MODEL, DEFAULT_LOCAL_LLM, Settings
from tests.conftest import SEED_ARTICLE

pytestmark = pytest.mark.integration

# The product's default model unless the run asks for another (e.g. the 0.5B one for a quick local loop).
TEST_LLM = os.environ.get("QA_TEST_LLM_MODEL", DEFAULT_LOCAL_LLM)
HUAWEI_QUESTION = "How many 5G base stations does Huawei plan to make next year?"


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    """The real embedding model, loaded once for the module."""
    return SentenceTransformerEmbedder(DEFAULT_EMBEDDING_MODEL)


@pytest.fixture(scope="module")
def answering_desk(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder, seed_article_path: Path
) -> Iterator[NewsDesk]:
    """A desk on embedded Chroma with the seed article ingested and the real local LLM."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("e2e") / "data", collection="e2e", llm_model=TEST_LLM
    )
    desk = NewsDesk(settings, embedder=embedder)
    report = desk.ingest([seed_article_path], progress=False)
    assert len(report.added) == 1, report.summary()
    yield desk
    desk.close()


@pytest.fixture(scope="module")
def seed_article_path() -> Path:
    """The bundled demo article (the one the product brief started from)."""
    return SEED_ARTICLE


@pytest.fixture(params=["embedded", "server"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for an empty index on each kind of Chroma."""
    name = f"e2e-{request.param}-{abs(hash(request.node.name)) % 10**8}"
    if request.param == "server":
        host, port = request.getfixturevalue("chroma_server")
        return Settings(chroma_host=host, chroma_port=port, collection=name, data_dir=tmp_path / "data")
    return Settings(data_dir=tmp_path / "data", collection=name)


def _seed(seed_article_path: Path) -> Article:
    (raw,) = list(iter_raw_articles([seed_article_path]))
    article = clean_article(raw)
    assert isinstance(article, Article)
    return article


def test_seed_article_is_indexed_without_site_boilerplate(
    answering_desk: NewsDesk, seed_article_path: Path
) -> None:
    (record,) = answering_desk.list_articles()
    article = _seed(seed_article_path)
    assert record.id == article.id and record.chunks >= 2
    assert article.text.endswith("prepare for commercial rollout in 2020.")
    chunks = list(answering_desk.evaluation().indexed_chunks())
    assert len(chunks) == record.chunks, "the index holds every chunk of the article"
    assert not any("Try our quiz" in c.text or "…" in c.text for c in chunks)


def test_no_chunk_is_longer_than_the_model_reads(
    embedder: SentenceTransformerEmbedder, seed_article_path: Path
) -> None:
    settings = Settings(chunk_tokens=10_000, chunk_overlap_tokens=20)  # ask for more than the model can take
    config = chunking_config(settings, embedder)
    # 256 word pieces, less [CLS] and [SEP], less what the headline embedded with each chunk may take
    assert config.max_tokens == 254 - HEADLINE_TOKENS
    article = _seed(seed_article_path)
    long_article = Article(
        **{**article.__dict__, "text": article.text * 3, "title": "A headline that goes on " * 12}
    )  # one long enough to need cutting, with a headline longer than its share
    chunks = chunk_article(long_article, config, embedder.token_offsets)
    texts = embedding_texts(long_article, chunks, settings, embedder)
    assert len(texts) == len(chunks) > 1 and all(t.startswith("A headline that goes on") for t in texts)
    for text in texts:
        assert len(embedder._tokenizer(text)["input_ids"]) <= 256


def test_huawei_question_is_answered_with_a_citation_of_the_seed_article(answering_desk: NewsDesk) -> None:
    result = answering_desk.ask(HUAWEI_QUESTION)
    (record,) = answering_desk.list_articles()
    assert not result.abstained, result.answer
    assert "1.5 million" in result.answer
    assert result.citations, f"no citation in {result.answer!r}"
    assert {c.article_id for c in result.citations} == {record.id}
    assert any("1.5 million" in c.quote for c in result.citations)
    assert result.invalid_citations == 0
    first_token = result.timings.first_token_ms
    assert first_token is not None and 0 < first_token <= result.timings.total_ms
    assert result.generation.tokens > 1 and result.sources_trimmed == 0


def test_the_local_model_counts_what_it_read_and_wrote(answering_desk: NewsDesk) -> None:
    # llama.cpp's own counters, what bench/llm_latency.py sets the product's timings beside (read once
    # the model runs: the desk starts it on the first question).
    answering_desk.evaluation().start_llm()
    before = answering_desk.llm_runtime_counters()
    result = answering_desk.ask(HUAWEI_QUESTION + " Answer briefly.")
    after = answering_desk.llm_runtime_counters()
    assert before is not None and after is not None and not result.abstained
    assert after["tokens_predicted_total"] > before["tokens_predicted_total"]  # the answer was written
    assert after["prompt_tokens_total"] > before["prompt_tokens_total"]  # the new question was read


def test_question_the_articles_cannot_answer_abstains(answering_desk: NewsDesk) -> None:
    result = answering_desk.ask("Who won the 2018 FIFA World Cup?")
    assert result.abstained
    assert result.answer == "I can't find that in the indexed articles."
    assert result.citations == ()


def test_streamed_text_is_the_final_answer(answering_desk: NewsDesk) -> None:
    answer = answering_desk.stream(HUAWEI_QUESTION)
    pieces = list(answer)
    assert len(pieces) > 3, "the answer arrives in pieces"
    assert "".join(pieces).strip() == answer.result.answer


def test_reingest_adds_nothing_and_delete_leaves_no_chunk(
    store_settings: Settings, embedder: SentenceTransformerEmbedder, seed_article_path: Path, tmp_path: Path
) -> None:
    desk = NewsDesk(store_settings, embedder=embedder)
    other = tmp_path / "other.md"
    other.write_text(
        "# Norway and 5G\n\nNorway will not ban Huawei from its 5G network, a minister said on Monday.\n"
    )
    first = desk.ingest([seed_article_path, other], progress=False)
    assert len(first.added) == 2
    chunks = desk.stats().chunks

    again = desk.ingest([seed_article_path, other], progress=False)
    assert again.added == [] and again.replaced == [] and len(again.unchanged) == 2
    assert again.chunks_written == 0 and desk.stats().chunks == chunks

    seed_id = _seed(seed_article_path).id
    deleted = desk.delete(seed_id)
    assert deleted is not None and deleted.chunks > 0
    assert desk.stats().chunks == chunks - deleted.chunks
    hits = desk.evaluation().rank(HUAWEI_QUESTION, chunks=50).nearest
    assert hits and all(h.article.id != seed_id for h in hits)
    assert [a.id for a in desk.list_articles()] != [seed_id]
