"""Stage 7: scripted evaluation runs (`qa eval`): retrieval, answers, abstention, citations, latency.

Everything goes through the product's own path: the articles are ingested with `NewsDesk.ingest` into a
collection of their own, ranked with the same `Retriever`, and answered with `AnswerEngine.stream`, the
chain the chat uses. A BM25 keyword baseline over the same chunks is computed in the same run.

Output in the run directory: `results.jsonl` (one line per question, appended and flushed as it goes, so
an interrupted run resumes where it stopped), `summary.json`, and a self-contained `report.html`.
Heavy libraries are imported inside the functions that need them, so `qa --help` stays fast.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import math
import os
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.answer import AnswerEngine, AnswerResult
    from qa.documents import Chunk
    from qa.embedding import Embedder
    from qa.retrieve import Retriever
    from qa.settings import Settings

# Chunks fetched to rank articles; 50 gave fewer than 10 distinct articles for 2 dev questions.
RANK_CHUNKS = 100
RANKED_ARTICLES = 20  # distinct articles kept per question in results.jsonl
HIT_KS = (1, 3, 5, 10)
MRR_K = 10
CURVE_K = 10
MAX_CONSECUTIVE_ERRORS = 3  # a broken LLM fails every question; stop instead of recording all of them
RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
RUN_FILE = "run.json"
DEFAULT_RUNS_ROOT = Path("runs")
# Config keys that may change between a run and its resumption: they select questions, not how to score.
_SELECTION_KEYS = frozenset({"limit", "filter"})


class EvalError(ValueError):
    """A problem with the evaluation inputs or run directory that a person can fix (message says how)."""


# --- inputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One evaluation question in the shared format (`../shared/eval/README.md`)."""

    id: str
    question: str
    answers: tuple[str, ...]
    choices: tuple[str, ...] = ()
    gold_ids: tuple[str, ...] = ()
    source: str | None = None
    question_date: str | None = None

    @property
    def answerable(self) -> bool:
        """Whether an article in the corpus is known to state the answer."""
        return bool(self.gold_ids)


def load_questions(path: Path, *, limit: int | None = None, prefix: str | None = None) -> list[Question]:
    """Questions from a JSONL file, those whose id starts with `prefix`, the first `limit` of them."""
    questions: list[Question] = []
    seen: set[str] = set()
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                question = Question(
                    id=str(row["id"]),
                    question=str(row["question"]),
                    answers=tuple(str(a) for a in row.get("answers") or ()),
                    choices=tuple(str(c) for c in row.get("choices") or ()),
                    gold_ids=tuple(str(g) for g in row.get("gold_ids") or ()),
                    source=row.get("source"),
                    question_date=row.get("question_date"),
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise EvalError(f"{path}:{number}: not a question record ({exc})") from exc
            if question.id in seen:
                raise EvalError(f"{path}:{number}: question id {question.id!r} appears twice")
            seen.add(question.id)
            if prefix and not question.id.startswith(prefix):
                continue
            questions.append(question)
    return questions[:limit] if limit is not None else questions


@dataclass
class Corpus:
    """The evaluation articles as the index sees them: cleaned texts, titles and the very same chunks."""

    texts: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    chunks: list[Chunk] = field(default_factory=list)


def load_corpus(path: Path, settings: Settings, embedder: Embedder) -> Corpus:
    """Load, clean and chunk the articles exactly as `ingest` does, for BM25 and answer checks."""
    from qa.chunking import chunk_article
    from qa.cleaning import clean_article
    from qa.documents import Rejected
    from qa.indexing import chunking_config
    from qa.loaders import iter_raw_articles

    corpus = Corpus()
    chunking = chunking_config(settings, embedder)
    for raw in iter_raw_articles([Path(path).expanduser().absolute()]):
        article = raw if isinstance(raw, Rejected) else clean_article(raw)
        if isinstance(article, Rejected) or article.id in corpus.texts:
            continue  # ingest rejects these too (unreadable, too short, duplicate id)
        corpus.texts[article.id] = article.text
        corpus.titles[article.id] = article.title
        corpus.chunks += chunk_article(article, chunking, embedder.token_offsets)
    return corpus


def corpus_hash(articles: Path, index_settings: Mapping[str, Any]) -> str:
    """SHA-256 of the corpus file's bytes and the index settings (chunking, embedding model)."""
    digest = hashlib.sha256()
    with Path(articles).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update(json.dumps(dict(index_settings), sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def collection_for(corpus_sha256: str) -> str:
    """The evaluation collection's name: `eval-` plus 12 hex digits (Chroma's 3-63 char name rule)."""
    return f"eval-{corpus_sha256[:12]}"


# --- answer checks (pure) ---------------------------------------------------------------------------

_CITATION_MARKER = re.compile(r"\[\s*\d{1,3}\s*\]")
_APOSTROPHES = re.compile(r"['’‘`]")
_TOKEN = re.compile(r"[^\W_]+")


def normalize_tokens(text: str) -> list[str]:
    """Lowercase word tokens without accents, punctuation or [n] markers ("Pelé's" -> ["peles"])."""
    text = _CITATION_MARKER.sub(" ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Apostrophes join rather than split, so a possessive folds like a plural: "Bills'" states "Bills".
    return _TOKEN.findall(_APOSTROPHES.sub("", text.lower()))


def same_word(a: str, b: str) -> bool:
    """Equal up to a plural ending: chicken/chickens, box/boxes, country/countries."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < 3:  # "a"/"as", "u"/"us": too short to tell a plural from another word
        return False
    return long in (short + "s", short + "es") or (short.endswith("y") and long == short[:-1] + "ies")


def _occurrences(haystack: Sequence[str], needle: Sequence[str]) -> list[tuple[int, int]]:
    """Token spans of `haystack` where `needle` appears as a run of words."""
    if not needle or len(needle) > len(haystack):
        return []
    size = len(needle)
    return [
        (start, start + size)
        for start in range(len(haystack) - size + 1)
        if all(same_word(haystack[start + i], needle[i]) for i in range(size))
    ]


def states(text: str, phrase: str) -> bool:
    """Does `text` contain `phrase` as a run of words (case-, punctuation- and plural-insensitive)?"""
    return bool(_occurrences(normalize_tokens(text), normalize_tokens(phrase)))


def stated_choices(answer: str, choices: Sequence[str]) -> list[int]:
    """Indexes of the choices the answer states; a choice found only inside a longer one doesn't count."""
    tokens = normalize_tokens(answer)
    found = [
        (index, span)
        for index, choice in enumerate(choices)
        for span in _occurrences(tokens, normalize_tokens(choice))
    ]
    stated: set[int] = set()
    for index, (start, end) in found:
        # "Bills" inside "Buffalo Bills" is part of that other choice, not a separate statement.
        inside_longer = any(
            other != index and s <= start and end <= e and (e - s) > (end - start) for other, (s, e) in found
        )
        if not inside_longer:
            stated.add(index)
    return sorted(stated)


def gold_choice(answers: Sequence[str], choices: Sequence[str]) -> int | None:
    """Which choice is the gold answer (None when there are no choices or none matches)."""
    for answer in answers:
        wanted = normalize_tokens(answer)
        for index, choice in enumerate(choices):
            tokens = normalize_tokens(choice)
            if len(tokens) == len(wanted) and all(map(same_word, tokens, wanted)):
                return index
    return None


_FUNCTION_WORDS = frozenset("a an and at by for in of on or the to with".split())


def points_at_choice(answer: str, choices: Sequence[str], question: str = "") -> int | None:
    """The one choice whose distinguishing words the answer uses, if exactly one (a lenient check).

    A choice's distinguishing words are those no other choice and not the question has: "The Bills"
    points at "Buffalo Bills" among NFL teams, "Sesame has been added" at "Sesame seeds" among seeds.
    """
    # Words of the question don't distinguish: "wind energy" answers "which renewable energy ...?".
    ignored = _FUNCTION_WORDS | {_fold(t) for t in normalize_tokens(question)}
    folded = [{_fold(t) for t in normalize_tokens(c)} - ignored for c in choices]
    said = {_fold(t) for t in normalize_tokens(answer)}
    pointed = [
        index
        for index, words in enumerate(folded)
        if words - set().union(*(w for i, w in enumerate(folded) if i != index)) & said
    ]
    return pointed[0] if len(pointed) == 1 else None


def _fold(token: str) -> str:
    """A crude singular form, for bag-of-words F1 only (containment uses `same_word`)."""
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def token_f1(answer: str, gold: str) -> float:
    """SQuAD-style token F1 after normalisation."""
    predicted = Counter(_fold(t) for t in normalize_tokens(answer))
    expected = Counter(_fold(t) for t in normalize_tokens(gold))
    common = sum((predicted & expected).values())
    if not common:
        return 0.0
    precision = common / sum(predicted.values())
    recall = common / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def judge_answer(
    answer: str, abstained: bool, answers: Sequence[str], choices: Sequence[str] = (), question: str = ""
) -> dict[str, Any]:
    """Verdict on one answer: with choices, correct = states the gold choice and no other one;
    without, correct = an answer contains a gold answer (exact match and token F1 reported too)."""
    gold = gold_choice(answers, choices)
    if gold is not None:
        stated = [] if abstained else stated_choices(answer, choices)
        return {
            "mode": "choices",
            "correct": stated == [gold],
            "lenient": not abstained and points_at_choice(answer, choices, question) == gold,
            "stated": [choices[i] for i in stated],
        }
    if abstained or not answers:
        return {"mode": "free", "correct": False, "lenient": False, "exact": False, "f1": 0.0}
    tokens = normalize_tokens(answer)
    exact = any(
        len(g) == len(tokens) and all(map(same_word, tokens, g)) for g in map(normalize_tokens, answers)
    )
    contains = any(states(answer, gold_answer) for gold_answer in answers)
    return {
        "mode": "free",
        "correct": exact or contains,
        "lenient": exact or contains,
        "exact": exact,
        "f1": round(max(token_f1(answer, g) for g in answers), 4),
    }


def judge_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """`judge_answer` again on a results.jsonl line, so a scoring fix applies to earlier runs too."""
    return judge_answer(
        record["answer"],
        record["abstained"],
        record.get("answers", []),
        record.get("choices", []),
        record.get("question", ""),
    )


def count_valid_markers(answer: str, sources_given: int) -> int:
    """[n] markers left in a checked answer that point at one of the `sources_given` sources."""
    from qa.answer import CHECKED_MARKER  # imported here: LangChain stays out of `qa --help`

    numbers = (int(m) for m in CHECKED_MARKER.findall(answer))
    return sum(1 for n in numbers if 1 <= n <= sources_given)


def citation_validity(valid: int, invalid: int) -> float | None:
    """Share of citation markers that pointed at a given source (None when there were none)."""
    total = valid + invalid
    return valid / total if total else None


# --- retrieval metrics (pure) -----------------------------------------------------------------------


def rank_articles(hits: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Article ids in the order of their best chunk, each once, with that chunk's score."""
    ranked: dict[str, float] = {}
    for article_id, score in hits:
        ranked.setdefault(article_id, score)
    return list(ranked.items())


def first_gold_rank(ranked_ids: Sequence[str], gold_ids: Iterable[str]) -> int | None:
    """1-based rank of the first gold article, None when none was retrieved."""
    gold = set(gold_ids)
    return next((rank for rank, article_id in enumerate(ranked_ids, start=1) if article_id in gold), None)


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions with a gold article in the top `k` (None for no questions)."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Mean reciprocal rank, counting a gold article below rank `k` as not found."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def retrieval_metrics(ranks: Sequence[int | None]) -> dict[str, float | None]:
    """hit@1/3/5/10 and MRR@10 for a list of first-gold ranks."""
    metrics = {f"hit@{k}": _round(hit_at(ranks, k)) for k in HIT_KS}
    metrics[f"mrr@{MRR_K}"] = _round(mrr_at(ranks, MRR_K))
    return metrics


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _rate(flags: Sequence[bool]) -> float | None:
    return _round(sum(flags) / len(flags)) if flags else None


# --- BM25 baseline ----------------------------------------------------------------------------------

_POSSESSIVE = re.compile(r"['’]s\b")


def bm25_tokens(text: str) -> list[str]:
    """Plain keyword tokens: lowercase words, possessive 's dropped, Lucene's English stop words removed."""
    from bm25s.stopwords import STOPWORDS_EN

    stop = set(STOPWORDS_EN)
    return [t for t in _TOKEN.findall(_POSSESSIVE.sub("", text.lower())) if t not in stop]


class Bm25Baseline:
    """BM25 (bm25s, Lucene variant, k1=1.5, b=0.75) over the index's chunks; articles rank by best chunk."""

    settings = {"library": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75, "stop_words": "lucene-en"}

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
        self._article_ids = [c.article_id for c in chunks]
        self._model = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
        self._model.index([bm25_tokens(c.text) for c in chunks], show_progress=False)

    def rank(self, query: str, n: int = RANKED_ARTICLES) -> list[tuple[str, float]]:
        """The `n` best articles for `query`, with the BM25 score of their best chunk."""
        tokens = [t for t in bm25_tokens(query) if t in self._model.vocab_dict]
        if not tokens or not self._article_ids:
            return []
        import numpy as np

        scores = self._model.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")  # ties keep chunk order, so runs are repeatable
        ranked: list[tuple[str, float]] = []
        seen: set[str] = set()
        for i in order:
            if float(scores[i]) <= 0:
                break
            if self._article_ids[i] not in seen:
                seen.add(self._article_ids[i])
                ranked.append((self._article_ids[i], float(scores[i])))
                if len(ranked) == n:
                    break
        return ranked


# --- one question -----------------------------------------------------------------------------------


def _question_fields(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "question": question.question,
        "answers": list(question.answers),
        "choices": list(question.choices),
        "gold_ids": list(question.gold_ids),
        "answerable": question.answerable,
        "source": question.source,
        "question_date": question.question_date,
    }


def evaluate_question(
    question: Question,
    *,
    retriever: Retriever,
    bm25: Bm25Baseline,
    corpus: Corpus,
    engine: AnswerEngine | None,
    min_score: float,
) -> dict[str, Any]:
    """Rank articles densely and with BM25, then (unless `engine` is None) answer through the chat path."""
    retrieval = retriever.retrieve(question.question, k=RANK_CHUNKS, min_score=-1.0)
    dense = rank_articles((hit.article.id, hit.score) for hit in retrieval.nearest)[:RANKED_ARTICLES]
    titles = {hit.article.id: hit.article.title for hit in retrieval.nearest}
    keyword = bm25.rank(question.question, RANKED_ARTICLES)
    top_score = retrieval.nearest[0].score if retrieval.nearest else None
    record: dict[str, Any] = {
        **_question_fields(question),
        "retrieved": [{"article_id": a, "title": titles[a], "score": round(s, 4)} for a, s in dense],
        "gold_rank": first_gold_rank([a for a, _ in dense], question.gold_ids),
        "top_score": _round(top_score),
        # What the answer step's threshold would do: no chunk this similar means the LLM is not asked.
        "below_min_score": top_score is None or top_score < min_score,
        "bm25": {
            "retrieved": [
                {"article_id": a, "title": corpus.titles.get(a, ""), "score": round(s, 4)} for a, s in keyword
            ],
            "gold_rank": first_gold_rank([a for a, _ in keyword], question.gold_ids),
        },
        "timings_ms": {"retrieval": round(retrieval.ms, 1)},
    }
    if engine is None:
        return record
    from qa.answer import AnswerResult

    result: AnswerResult | None = None
    for event in engine.stream(question.question):
        if isinstance(event, AnswerResult):
            result = event
    assert result is not None  # stream always ends with the result
    record.update(answer_fields(result, question, corpus))
    record["timings_ms"].update(
        {
            "answer_retrieval": round(result.timings_ms.get("retrieval", 0.0), 1),
            "first_token": _round(result.timings_ms.get("first_token"), 1),
            "generation": _round(result.timings_ms.get("generation"), 1),
            "total": round(result.timings_ms.get("total", 0.0), 1),
            "tokens_per_s": _round(result.timings_ms.get("tokens_per_s"), 2),
        }
    )
    return record


def answer_fields(result: AnswerResult, question: Question, corpus: Corpus) -> dict[str, Any]:
    """The answer part of a result line: answer, abstention, citations and their verdicts."""
    # The sources the LLM saw: a prefix of `retrieved` (those over the threshold, minus any trimmed).
    sources = [hit.article.id for hit in result.retrieved[: result.sources_given]]
    cited = list(dict.fromkeys(c.article_id for c in result.citations))
    supported = [
        article_id
        for article_id in cited
        if article_id in question.gold_ids
        or any(states(corpus.texts.get(article_id, ""), gold) for gold in question.answers)
    ]
    valid = 0 if result.abstained else count_valid_markers(result.answer, result.sources_given)
    verdict = judge_answer(
        result.answer, result.abstained, question.answers, question.choices, question.question
    )
    verdict.update(
        {
            "valid_markers": valid,
            "invalid_markers": result.invalid_citations,
            "citation_validity": _round(citation_validity(valid, result.invalid_citations)),
            "cited_supported": supported,
        }
    )
    return {
        "answer": result.answer,
        "abstained": result.abstained,
        "llm_called": result.llm_called,
        "sources": sources,
        "sources_trimmed": result.sources_trimmed,
        "citations": [{"n": c.n, "article_id": c.article_id, "title": c.title} for c in result.citations],
        "cited_articles": cited,
        "verdict": verdict,
    }


# --- summary ----------------------------------------------------------------------------------------


def summarize(records: Sequence[Mapping[str, Any]], config: Mapping[str, Any]) -> dict[str, Any]:
    """Aggregate result lines into the `summary.json` metrics (see docs/EVALUATION.md)."""
    scored = [r for r in records if "error" not in r]
    answerable = [r for r in scored if r.get("gold_ids")]
    no_gold = [r for r in scored if not r.get("gold_ids")]
    dense_ranks = [r.get("gold_rank") for r in answerable]
    bm25_ranks = [r.get("bm25", {}).get("gold_rank") for r in answerable]
    answered = [r for r in scored if "verdict" in r]
    answered_answerable = [r for r in answered if r.get("gold_ids")]
    answered_no_gold = [r for r in answered if not r.get("gold_ids")]

    valid = sum(r["verdict"]["valid_markers"] for r in answered)
    invalid = sum(r["verdict"]["invalid_markers"] for r in answered)
    cited = sum(len(r.get("cited_articles", [])) for r in answered)
    supported = sum(len(r["verdict"]["cited_supported"]) for r in answered)
    llm_answers = [r for r in answered if r.get("llm_called")]
    # Correctness is judged again from the recorded answers, so a scoring fix applies to earlier lines too.
    judged = {r["id"]: judge_record(r) for r in answered}
    free = [r for r in answered_answerable if judged[r["id"]]["mode"] == "free"]

    def timing(key: str, rows: Sequence[Mapping[str, Any]]) -> list[float]:
        return [float(r["timings_ms"][key]) for r in rows if r.get("timings_ms", {}).get(key) is not None]

    answer_totals = timing("total", answered)
    first_tokens = timing("first_token", answered)
    retrievals = timing("retrieval", scored)
    return {
        "questions": len(scored),
        "answerable": len(answerable),
        "no_gold": len(no_gold),
        "errors": len(records) - len(scored),
        "retrieval": retrieval_metrics(dense_ranks),
        "bm25": retrieval_metrics(bm25_ranks),
        "hit_curve": {
            "dense": [_round(hit_at(dense_ranks, k)) for k in range(1, CURVE_K + 1)],
            "bm25": [_round(hit_at(bm25_ranks, k)) for k in range(1, CURVE_K + 1)],
        },
        "answer": {
            "accuracy_answerable": _rate([judged[r["id"]]["correct"] for r in answered_answerable]),
            "accuracy_all": _rate([judged[r["id"]]["correct"] for r in answered]),
            "accuracy_no_gold": _rate([judged[r["id"]]["correct"] for r in answered_no_gold]),
            "lenient_accuracy_answerable": _rate([judged[r["id"]]["lenient"] for r in answered_answerable]),
            "f1_answerable": _round(sum(judged[r["id"]]["f1"] for r in free) / len(free)) if free else None,
        },
        "abstention": {
            "no_gold_abstain_rate": _rate([bool(r["abstained"]) for r in answered_no_gold]),
            "answerable_abstain_rate": _rate([bool(r["abstained"]) for r in answered_answerable]),
            "no_gold_below_min_score": _rate([bool(r.get("below_min_score")) for r in no_gold]),
            "answerable_below_min_score": _rate([bool(r.get("below_min_score")) for r in answerable]),
        },
        "citations": {
            "validity": _round(citation_validity(valid, invalid)),
            "precision": _round(supported / cited) if cited else None,
            "answers_with_invalid": _rate([r["verdict"]["invalid_markers"] > 0 for r in llm_answers]),
            "markers": valid + invalid,
            "invalid_markers": invalid,
            "cited_articles": cited,
        },
        "latency_ms": {
            "retrieval_p50": _round(percentile(retrievals, 50), 1),
            "retrieval_p95": _round(percentile(retrievals, 95), 1),
            "answer_p50": _round(percentile(answer_totals, 50), 1),
            "answer_p95": _round(percentile(answer_totals, 95), 1),
            "first_token_p50": _round(percentile(first_tokens, 50), 1),
            "first_token_p95": _round(percentile(first_tokens, 95), 1),
            "tokens_per_s_p50": _round(percentile(timing("tokens_per_s", llm_answers), 50), 2),
        },
        "config": dict(config),
    }


# --- run directory ----------------------------------------------------------------------------------


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """Result lines by question id; a later line for the same id wins (a retried error)."""
    records: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return records
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash mid-write: that question is simply redone
            if isinstance(record, dict) and "id" in record:
                records[str(record["id"])] = record
    return records


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file, so a crash never leaves a half-written summary or report."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _comparable(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in _SELECTION_KEYS}


def _find_resumable(root: Path, config: Mapping[str, Any]) -> Path | None:
    """The newest unfinished run under `root` made with exactly this config (so the same command resumes)."""
    if not root.is_dir():
        return None
    for run in sorted((p for p in root.iterdir() if (p / RUN_FILE).is_file()), reverse=True):
        try:
            saved = json.loads((run / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if saved.get("config") == dict(config) and not saved.get("complete"):
            return run
    return None


def _prepare_run_dir(out: Path | None, runs_root: Path, config: Mapping[str, Any]) -> Path:
    """Pick the run directory (given, resumable, or a new `runs/<UTC timestamp>`) and check its config."""
    if out is None:
        out = _find_resumable(runs_root, config)
        if out is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            out = runs_root / stamp
            suffix = 1
            while out.exists():
                suffix += 1
                out = runs_root / f"{stamp}-{suffix}"
    out.mkdir(parents=True, exist_ok=True)
    run_file = out / RUN_FILE
    if run_file.exists():
        saved = json.loads(run_file.read_text(encoding="utf-8")).get("config", {})
        if _comparable(saved) != _comparable(config):
            changed = sorted(
                k
                for k in set(saved) | set(config)
                if k not in _SELECTION_KEYS and saved.get(k) != config.get(k)
            )
            raise EvalError(
                f"{out} holds a run made with other settings ({', '.join(changed)} differ); its results "
                "can't be mixed with these. Use another --out directory, or the settings of that run."
            )
    elif (out / RESULTS_FILE).exists():
        raise EvalError(f"{out} has a {RESULTS_FILE} but no {RUN_FILE}; use another --out directory")
    _write_run_file(out, config, complete=False)
    return out


def _previous_index(out: Path) -> dict[str, Any]:
    """The index figures an earlier invocation recorded (kept when a resumed run had nothing left to do)."""
    try:
        return dict(json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8")).get("index") or {})
    except (OSError, json.JSONDecodeError):
        return {}


def _write_run_file(out: Path, config: Mapping[str, Any], *, complete: bool) -> None:
    _write_atomic(out / RUN_FILE, json.dumps({"config": dict(config), "complete": complete}, indent=2) + "\n")


# --- the runner -------------------------------------------------------------------------------------


@dataclass
class EvalOptions:
    """What `qa eval` was asked to do."""

    articles: Path
    questions: Path
    out: Path | None = None
    limit: int | None = None
    prefix: str | None = None
    retrieval_only: bool = False
    progress: bool = True
    runs_root: Path = DEFAULT_RUNS_ROOT


@dataclass
class EvalOutcome:
    """Where a run wrote its files, its summary, and how it ended."""

    out_dir: Path
    summary: dict[str, Any]
    evaluated: int  # questions evaluated by this invocation
    resumed: int  # questions already done by an earlier invocation
    interrupted: bool = False
    index: dict[str, Any] = field(default_factory=dict)


def run_config(
    options: EvalOptions, settings: Settings, embedder: Embedder, corpus_sha256: str
) -> dict[str, Any]:
    """Every setting that affects the figures (compared when resuming and shown by --compare)."""
    from qa.indexing import index_config

    index = index_config(settings, embedder)
    config: dict[str, Any] = {
        "articles": str(Path(options.articles).expanduser().absolute()),
        "corpus_sha256": corpus_sha256,
        "collection": collection_for(corpus_sha256),
        "questions": str(Path(options.questions).expanduser().absolute()),
        "questions_sha256": corpus_hash(options.questions, {}),
        "filter": options.prefix,
        "limit": options.limit,
        "retrieval_only": options.retrieval_only,
        **index,
        "rank_chunks": RANK_CHUNKS,
        "k": settings.k,
        "min_score": settings.min_score,
        "bm25": dict(Bm25Baseline.settings),
        "llm": None,
        "llm_max_tokens": None,
        "llm_temperature": None,
        "llm_context_window": None,
        "prompt_sha256": None,
    }
    if not options.retrieval_only:
        from qa.answer import prompt_fingerprint
        from qa.llm import describe_llm

        config.update(
            {
                "llm": describe_llm(settings),
                "llm_max_tokens": settings.llm_max_tokens,
                "llm_temperature": settings.llm_temperature,
                "llm_context_window": settings.llm_context_window,
                "prompt_sha256": prompt_fingerprint(),
            }
        )
    return config


def run_eval(
    options: EvalOptions,
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    chat_model: BaseChatModel | None = None,
) -> EvalOutcome:
    """Run (or resume) an evaluation; Ctrl-C stops it cleanly with what was done summarised."""
    from tqdm import tqdm

    from qa.embedding import create_embedder
    from qa.indexing import index_config
    from qa.service import NewsDesk

    questions = load_questions(options.questions, limit=options.limit, prefix=options.prefix)
    if not questions:
        raise EvalError(f"no questions selected from {options.questions}")
    embedder = embedder or create_embedder(settings)
    corpus_sha256 = corpus_hash(options.articles, index_config(settings, embedder))
    # The user's own collection is never touched: the corpus gets a collection named after its hash.
    eval_settings = settings.model_copy(update={"collection": collection_for(corpus_sha256)})
    config = run_config(options, eval_settings, embedder, corpus_sha256)
    out = _prepare_run_dir(options.out, options.runs_root, config)
    results_path = out / RESULTS_FILE
    done = {qid: r for qid, r in read_results(results_path).items() if "error" not in r}
    todo = [q for q in questions if q.id not in done]
    outcome = EvalOutcome(out_dir=out, summary={}, evaluated=0, resumed=len(questions) - len(todo))

    desk = NewsDesk(eval_settings, embedder=embedder, chat_model=chat_model)
    try:
        if todo:
            started = time.perf_counter()
            report = desk.ingest([options.articles], progress=options.progress)
            outcome.index = {
                "articles": len(report.added) + len(report.unchanged) + len(report.replaced),
                "rejected": len(report.rejected),
                "chunks_embedded": report.chunks_written,
                "ingest_s": round(time.perf_counter() - started, 2),
            }
            corpus = load_corpus(options.articles, eval_settings, embedder)
            bm25 = Bm25Baseline(corpus.chunks)
            retriever = desk.retriever  # built after the ingest, on the index's stored settings
            # One untimed query first: the first search of a process loads the HNSW index from disk.
            retriever.retrieve(todo[0].question, k=RANK_CHUNKS, min_score=-1.0)
            # Built (and the local LLM started) before the loop, so model loading isn't counted as latency.
            engine = None if options.retrieval_only else desk.engine
            outcome.interrupted = _run_questions(
                todo, results_path, outcome, options, retriever, bm25, corpus, engine, eval_settings, tqdm
            )
    finally:
        records = read_results(results_path)
        selected = [records[q.id] for q in questions if q.id in records]
        summary = summarize(selected, config)
        summary["selected"] = len(questions)
        summary["complete"] = all(q.id in records and "error" not in records[q.id] for q in questions)
        summary["index"] = outcome.index or _previous_index(out)
        summary["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
        _write_atomic(out / SUMMARY_FILE, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        _write_atomic(out / REPORT_FILE, render_report(selected, summary))
        _write_run_file(out, config, complete=summary["complete"])
        outcome.summary = summary
        desk.close()
    return outcome


def _run_questions(
    todo: Sequence[Question],
    results_path: Path,
    outcome: EvalOutcome,
    options: EvalOptions,
    retriever: Retriever,
    bm25: Bm25Baseline,
    corpus: Corpus,
    engine: AnswerEngine | None,
    settings: Settings,
    tqdm: Any,
) -> bool:
    """Evaluate the remaining questions, appending one flushed line each; True when Ctrl-C stopped it."""
    errors_in_a_row = 0
    with (
        results_path.open("a", encoding="utf-8") as results,
        tqdm(
            total=len(todo), desc="Evaluating", unit="q", file=sys.stderr, disable=not options.progress
        ) as bar,
    ):
        try:
            for question in todo:
                try:
                    record = evaluate_question(
                        question,
                        retriever=retriever,
                        bm25=bm25,
                        corpus=corpus,
                        engine=engine,
                        min_score=settings.min_score,
                    )
                    errors_in_a_row = 0
                except Exception as exc:  # recorded and retried on resume; a run of them stops the run
                    errors_in_a_row += 1
                    record = {**_question_fields(question), "error": f"{type(exc).__name__}: {exc}"}
                    if errors_in_a_row >= MAX_CONSECUTIVE_ERRORS:
                        _append(results, record)
                        raise
                _append(results, record)
                outcome.evaluated += 1
                bar.update(1)
        except KeyboardInterrupt:
            return True
    return False


def _append(handle: Any, record: Mapping[str, Any]) -> None:
    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    handle.flush()  # a crash or Ctrl-C keeps every finished question


# --- compare ----------------------------------------------------------------------------------------

_NOT_METRICS = frozenset({"config", "index", "hit_curve", "updated", "selected", "complete"})


def flatten_metrics(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """Numeric summary values as `section.metric` keys (config and curves left out)."""
    flat: dict[str, float | None] = {}
    for key, value in summary.items():
        if key in _NOT_METRICS:
            continue
        if isinstance(value, Mapping):
            for inner, number in value.items():
                if number is None or (isinstance(number, int | float) and not isinstance(number, bool)):
                    flat[f"{key}.{inner}"] = number
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[key] = value
    return flat


def compare_runs(run_a: Path, run_b: Path) -> str:
    """A table of every metric of two runs with the delta B - A, then the config keys that differ."""
    summaries = []
    for run in (run_a, run_b):
        path = run / SUMMARY_FILE if run.is_dir() else run
        try:
            summaries.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise EvalError(f"cannot read {path}: {exc}") from exc
    a, b = (flatten_metrics(s) for s in summaries)
    rows = [("metric", str(run_a), str(run_b), "delta (B-A)")]
    for key in list(a) + [k for k in b if k not in a]:
        va, vb = a.get(key), b.get(key)
        delta = "" if va is None or vb is None else _fmt(vb - va, signed=True)
        rows.append((key, _fmt(va), _fmt(vb), delta))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    config_a, config_b = (s.get("config", {}) for s in summaries)
    differing = [
        k
        for k in list(config_a) + [k for k in config_b if k not in config_a]
        if config_a.get(k) != config_b.get(k)
    ]
    if differing:
        lines.append("")
        lines.append("config differences:")
        lines += [f"  {k}: {config_a.get(k)!r} -> {config_b.get(k)!r}" for k in differing]
    return "\n".join(lines)


def _fmt(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not signed:
        return str(value)
    text = f"{value:+.4f}" if signed else f"{value:.4f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- report.html ------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;
color:#1d232a;padding:0 1em}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d5dae0;padding:.3em .6em;
text-align:left;vertical-align:top}th{background:#f1f3f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.fail td{font-size:13px}.muted{color:#667}.bad{color:#b3261e}
svg{background:#fff;border:1px solid #d5dae0;margin:.5em 1em .5em 0}
code{background:#f1f3f5;padding:0 .2em}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return _e(value)


def _hit_curve_svg(curve: Mapping[str, Sequence[float | None]]) -> str:
    """Inline SVG: hit@k for k = 1..10, dense and BM25."""
    width, height, left, bottom, top, right = 420, 260, 44, 34, 14, 110
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(k: int) -> float:
        return left + (k - 1) * plot_w / (CURVE_K - 1)

    def y(v: float) -> float:
        return top + (1 - v) * plot_h

    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="hit at k curve">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eceff2"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end">{tick:.2f}</text>'
        )
    for k in range(1, CURVE_K + 1):
        parts.append(
            f'<text x="{x(k):.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">{k}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">k</text>'
    )
    for row, (name, color) in enumerate((("dense", "#1a73e8"), ("bm25", "#e8710a"))):
        values = curve.get(name) or []
        points = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in enumerate(values, start=1) if v is not None)
        if points:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        label_y = top + 14 + row * 18
        parts.append(
            f'<line x1="{width - right + 12}" x2="{width - right + 32}" '
            f'y1="{label_y - 4}" y2="{label_y - 4}" '
            f'stroke="{color}" stroke-width="2"/><text x="{width - right + 38}" y="{label_y}" font-size="12">'
            f"{'dense' if name == 'dense' else 'BM25'}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram_svg(values: Sequence[float], label: str, bins: int = 12) -> str:
    """Inline SVG histogram of latencies."""
    width, height, left, bottom, top = 420, 260, 40, 40, 14
    plot_w, plot_h = width - left - 14, height - top - bottom
    if not values:
        empty = f"no {_e(label)} timings"
        return f'<svg width="{width}" height="60"><text x="10" y="35" font-size="12">{empty}</text></svg>'
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / span * bins))] += 1
    tallest = max(counts)
    bar_w = plot_w / bins
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(label)} histogram">']
    for i, count in enumerate(counts):
        bar_h = count / tallest * plot_h
        parts.append(
            f'<rect x="{left + i * bar_w + 1:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{bar_h:.1f}" fill="#5b8def"><title>{count}</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{left + (i + 0.5) * bar_w:.1f}" y="{top + plot_h - bar_h - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{count}</text>'
            )
    for value, anchor, xpos in ((low, "start", left), (high, "end", left + plot_w)):
        parts.append(
            f'<text x="{xpos:.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="{anchor}">{value:,.0f}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="11" '
        f'text-anchor="middle">{_e(label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _failures(records: Sequence[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], str]]:
    """Questions answered wrongly, abstained on though answerable, or whose gold article missed the top 5."""
    failures = []
    for record in records:
        if "error" in record:
            failures.append((record, "error: " + str(record["error"])))
            continue
        answerable = bool(record.get("gold_ids"))
        reasons = []
        if "verdict" in record:
            verdict = judge_record(record)
            if record["abstained"]:
                if answerable:
                    reasons.append("abstained on an answerable question")
            elif not verdict["correct"]:
                reasons.append(
                    "wrong answer" + (" (right by the lenient check)" if verdict["lenient"] else "")
                )
                if not answerable:
                    reasons.append("no gold article: abstaining was expected")
        rank = record.get("gold_rank")
        if answerable and (rank is None or rank > 5):
            reasons.append("gold not in dense top 5" + (f" (rank {rank})" if rank else ""))
        if reasons:
            failures.append((record, "; ".join(reasons)))
    return failures


def render_report(records: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]) -> str:
    """The self-contained report page: metric table, hit@k curve, latency histogram, failures."""
    config = summary.get("config", {})
    retrieval, bm25 = summary.get("retrieval", {}), summary.get("bm25", {})
    rows = [
        f"<tr><th>{_e(k)}</th><td class=n>{_num(retrieval.get(k))}</td>"
        f"<td class=n>{_num(bm25.get(k))}</td></tr>"
        for k in retrieval
    ]
    other = []
    for section in ("answer", "abstention", "citations", "latency_ms"):
        for key, value in (summary.get(section) or {}).items():
            other.append(f"<tr><th>{_e(section)}.{_e(key)}</th><td class=n>{_num(value)}</td></tr>")
    answered = [r for r in records if "verdict" in r]
    if answered:
        latencies = [
            float(r["timings_ms"]["total"]) for r in answered if r.get("timings_ms", {}).get("total")
        ]
        histogram = _histogram_svg(latencies, "answer total, ms")
    else:
        latencies = [
            float(r["timings_ms"]["retrieval"]) for r in records if r.get("timings_ms", {}).get("retrieval")
        ]
        histogram = _histogram_svg(latencies, "retrieval, ms")

    failure_rows = []
    for record, reason in _failures(records):
        dense = "".join(
            f"<li>{_e(h.get('title'))} <span class=muted>({_e(h.get('article_id'))}, {h.get('score')})"
            f"{' ✓ gold' if h.get('article_id') in record.get('gold_ids', []) else ''}</span></li>"
            for h in (record.get("retrieved") or [])[:5]
        )
        answer = record.get("answer")
        failure_rows.append(
            "<tr>"
            f"<td>{_e(record.get('id'))}</td>"
            f"<td>{_e(record.get('question'))}<br><span class=muted>choices: "
            f"{_e(' | '.join(record.get('choices') or []))}</span></td>"
            f"<td>{_e(' | '.join(record.get('answers') or []))}</td>"
            f"<td>{_e(answer) if answer is not None else '<span class=muted>(retrieval only)</span>'}</td>"
            f"<td><ol>{dense}</ol></td>"
            f"<td class=bad>{_e(reason)}</td>"
            "</tr>"
        )
    config_rows = "".join(
        f"<tr><th>{_e(k)}</th><td><code>{_e(json.dumps(v))}</code></td></tr>" for k, v in config.items()
    )
    title = f"newsdesk-qa evaluation: {summary.get('questions', 0)} questions"
    state = "complete" if summary.get("complete") else "incomplete"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p class=muted>{_e(summary.get("answerable"))} answerable (with gold articles),
{_e(summary.get("no_gold"))} without; {_e(summary.get("errors"))} errors; {state};
updated {_e(summary.get("updated"))}. Retrieval-only: {_e(config.get("retrieval_only"))}.
LLM: {_e(config.get("llm"))}.</p>
<h2>Retrieval (article level, answerable questions)</h2>
<table><tr><th>metric</th><th>dense ({_e(config.get("embedding_model"))})</th><th>BM25 baseline</th></tr>
{"".join(rows)}</table>
{_hit_curve_svg(summary.get("hit_curve", {}))}{histogram}
<h2>Answers, abstention, citations, latency</h2>
<table>{"".join(other)}</table>
<h2>Failures ({len(failure_rows)})</h2>
<table class=fail><tr><th>id</th><th>question</th><th>gold</th><th>answer</th><th>dense top 5</th>
<th>why</th></tr>
{"".join(failure_rows) or "<tr><td colspan=6>none</td></tr>"}</table>
<h2>Config</h2>
<table>{config_rows}</table>
</body></html>
"""


# --- command line -----------------------------------------------------------------------------------


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """The `qa eval` options (shared by `python -m qa.evaluate`)."""
    parser.add_argument("--articles", type=Path, help="articles JSONL (id, url, title, published, text)")
    parser.add_argument(
        "--questions", type=Path, help="questions JSONL (id, question, answers, choices, gold_ids)"
    )
    parser.add_argument("--limit", type=int, help="only the first N questions (after --filter)")
    parser.add_argument(
        "--filter",
        dest="prefix",
        metavar="PREFIX",
        help="only question ids starting with this, e.g. rtqa-20230106",
    )
    parser.add_argument("--retrieval-only", action="store_true", help="rank articles only; no LLM needed")
    parser.add_argument("--k", type=int, help="chunks the answer step sees (default: QA_K or 5)")
    parser.add_argument(
        "--out",
        type=Path,
        help="run directory (default: resume a matching unfinished run, else runs/<UTC time>)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="where the index lives (default: QA_DATA_DIR or ./data)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"), help="print metric deltas of two runs"
    )


def run_from_args(args: argparse.Namespace, settings: Settings) -> int:
    """Run what the parsed `qa eval` arguments ask for; returns the exit code."""
    if args.compare:
        print(compare_runs(*args.compare))
        return 0
    if args.articles is None or args.questions is None:
        print("error: qa eval needs --articles and --questions (or --compare RUN_A RUN_B)", file=sys.stderr)
        return 2
    for path in (args.articles, args.questions):
        if not Path(path).is_file():
            print(f"error: no such file: {path}", file=sys.stderr)
            return 2
    options = EvalOptions(
        articles=args.articles,
        questions=args.questions,
        out=args.out,
        limit=args.limit,
        prefix=args.prefix,
        retrieval_only=args.retrieval_only,
        progress=not args.quiet,
    )
    outcome = run_eval(options, settings)
    print(format_summary(outcome))
    if outcome.interrupted:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    return 0


def format_summary(outcome: EvalOutcome) -> str:
    """A few lines for the terminal: the headline figures and where the files are."""
    s = outcome.summary
    r, b = s["retrieval"], s["bm25"]
    lines = [
        f"{s['questions']} questions ({s['answerable']} answerable); evaluated {outcome.evaluated} now, "
        f"{outcome.resumed} from an earlier run; {s['errors']} errors",
        "retrieval   " + "  ".join(f"{k} {_num(v)} (BM25 {_num(b.get(k))})" for k, v in r.items()),
    ]
    if not s["config"].get("retrieval_only"):
        a, ab, c = s["answer"], s["abstention"], s["citations"]
        lat = s["latency_ms"]
        lines += [
            f"answers     accuracy answerable {_num(a['accuracy_answerable'])}, "
            f"all {_num(a['accuracy_all'])}",
            f"abstention  no-gold {_num(ab['no_gold_abstain_rate'])}, "
            f"answerable {_num(ab['answerable_abstain_rate'])}",
            f"citations   validity {_num(c['validity'])}, precision {_num(c['precision'])}",
            f"latency     answer p50 {_num(lat['answer_p50'])} ms, p95 {_num(lat['answer_p95'])} ms; "
            f"first token p50 {_num(lat['first_token_p50'])} ms",
        ]
    lines.append(f"results in {outcome.out_dir}/ ({RESULTS_FILE}, {SUMMARY_FILE}, {REPORT_FILE})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m qa.evaluate`: the same as `qa eval`."""
    import logging

    from pydantic import ValidationError

    from qa.settings import Settings

    parser = argparse.ArgumentParser(
        prog="python -m qa.evaluate", description="Evaluate newsdesk-qa on a question set."
    )
    add_eval_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    overrides = {k: v for k, v in (("k", args.k), ("data_dir", args.data_dir)) if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    try:
        return run_from_args(args, settings)
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
