"""One evaluation run: ingest the corpus into its own collection, rank and answer every question.

Everything goes through the product's facade: the articles are ingested with `NewsDesk.ingest`, ranked
with `Evaluation.rank` (the evaluation's own interface: the retriever the chat uses, without its
threshold), and answered with `NewsDesk.ask`, the chain the chat uses. A BM25 keyword baseline over the
same chunks runs beside it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from qa.documents import DateRange
from qa.errors import EvalError
from qa.eval.bm25 import RANKED_ARTICLES, Bm25Baseline
from qa.eval.corpus import Corpus, collection_for, corpus_hash, read_corpus
from qa.eval.metrics import first_gold_rank, rank_articles, rounded, summarize
from qa.eval.questions import Question, load_questions
from qa.eval.report import render_report
from qa.eval.rundir import (
    REPORT_FILE,
    RESULTS_FILE,
    SUMMARY_FILE,
    prepare_run_dir,
    previous_index,
    read_results,
    write_run_file,
)
from qa.eval.scoring import citation_validity, count_valid_markers, judge_answer, states
from qa.files import write_atomically
from qa.progress import progress_bar
from qa.results import AbstainReason, AnswerResult, GivenSource, Judgment
from qa.service import NewsDesk
from qa.service.evaluation import Evaluation

# Chunks fetched to rank articles; 50 gave fewer than 10 distinct articles for 2 dev questions.
RANK_CHUNKS = 100
MAX_CONSECUTIVE_ERRORS = 3  # a broken LLM fails every question; stop instead of recording all of them
DEFAULT_RUNS_ROOT = Path("runs")


@dataclass
class EvalOptions:
    """What `qa eval` was asked to do."""

    articles: Path
    questions: Path
    out: Path | None = None
    limit: int | None = None
    prefix: str | None = None
    retrieval_only: bool = False
    # Re-ask only the questions without time words, dated this many days later: answers that do not
    # depend on when they are asked must not turn into abstentions (the reference date is no reason).
    asked_later_days: int | None = None
    progress: bool = True
    runs_root: Path = DEFAULT_RUNS_ROOT
    # The collection the corpus is indexed into; None: one named after the corpus and index settings.
    collection: str | None = None


@dataclass
class EvalOutcome:
    """Where a run wrote its files, its summary, and how it ended."""

    out_dir: Path
    summary: dict[str, Any]
    evaluated: int  # questions evaluated by this invocation
    resumed: int  # questions already done by an earlier invocation
    interrupted: bool = False
    index: dict[str, Any] = field(default_factory=dict)


def run_config(options: EvalOptions, evaluation: Evaluation, corpus_sha256: str) -> dict[str, Any]:
    """Every setting that affects the figures (compared when resuming and shown by --compare): the
    run's own, then the stage configs as the product uses them, serialised (never a list of names)."""
    config: dict[str, Any] = {
        "articles": str(Path(options.articles).expanduser().absolute()),
        "corpus_sha256": corpus_sha256,
        "collection": evaluation.desk.settings.collection,
        "questions": str(Path(options.questions).expanduser().absolute()),
        "questions_sha256": corpus_hash(options.questions, {}),
        "filter": options.prefix,
        "limit": options.limit,
        "retrieval_only": options.retrieval_only,
        "asked_later_days": options.asked_later_days,
        **evaluation.index_config(),
        **evaluation.stage_configs(answers=not options.retrieval_only),
        "rank_chunks": RANK_CHUNKS,
        "bm25": dict(Bm25Baseline.settings),
    }
    return config


def run_eval(options: EvalOptions, desk: NewsDesk) -> EvalOutcome:
    """Run (or resume) an evaluation; Ctrl-C stops it cleanly with what was done summarised.

    The user's own collection is never touched: the corpus goes into a collection named after its hash.
    """
    questions = load_questions(options.questions, limit=options.limit, prefix=options.prefix)
    if options.asked_later_days is not None:
        later = options.asked_later_days
        questions = [
            q.asked_later(later) for q in questions if not Evaluation.names_a_time(q.question, q.asked_on)
        ]
    if not questions:
        raise EvalError(f"no questions selected from {options.questions}")
    users = desk.evaluation()  # the user's collection: only its settings are read
    corpus_sha256 = corpus_hash(options.articles, users.index_config())
    evaluation = users.on_collection(options.collection or collection_for(corpus_sha256))
    if options.collection:
        _refuse_a_collection_of_other_articles(evaluation, options.articles)
    config = run_config(options, evaluation, corpus_sha256)
    out = prepare_run_dir(options.out, options.runs_root, config)
    results_path = out / RESULTS_FILE
    done = {qid for qid, r in read_results(results_path).items() if "error" not in r}
    todo = [q for q in questions if q.id not in done]
    outcome = EvalOutcome(out_dir=out, summary={}, evaluated=0, resumed=len(questions) - len(todo))
    try:
        if todo:
            outcome.index = _ingest(evaluation.desk, options)
            outcome.interrupted = _run_questions(todo, results_path, outcome, options, evaluation)
    finally:
        outcome.summary = _write_outputs(out, questions, config, outcome)
        evaluation.desk.close()
    return outcome


def _refuse_a_collection_of_other_articles(evaluation: Evaluation, articles: Path) -> None:
    """A named collection must be empty or hold only this corpus (an earlier run's): the run searches
    the whole collection, so a user's own articles would change the figures, and gain the corpus."""
    corpus = str(Path(articles).expanduser().absolute())
    others = [
        a
        for a in evaluation.desk.list_articles()
        if a.origin != corpus and not a.origin.startswith(corpus + "#")
    ]
    if others:
        name = evaluation.desk.settings.collection
        evaluation.desk.close()
        raise EvalError(
            f"collection {name!r} holds {len(others)} article(s) from elsewhere (e.g. {others[0].origin}): "
            "qa eval indexes its corpus into a collection of its own; name an empty one, or leave out "
            "--collection"
        )


def _ingest(desk: NewsDesk, options: EvalOptions) -> dict[str, Any]:
    started = time.perf_counter()
    report = desk.ingest([options.articles], progress=options.progress)
    return {
        "articles": report.indexed,
        "rejected": len(report.rejected),
        "chunks_embedded": report.chunks_written,
        "ingest_s": round(time.perf_counter() - started, 2),
    }


def _write_outputs(
    out: Path, questions: Sequence[Question], config: Mapping[str, Any], outcome: EvalOutcome
) -> dict[str, Any]:
    """summary.json, report.html and run.json for every result line so far (also after Ctrl-C)."""
    records = read_results(out / RESULTS_FILE)
    selected = [records[q.id] for q in questions if q.id in records]
    summary = summarize(selected, config)
    summary["selected"] = len(questions)
    summary["complete"] = all(q.id in records and "error" not in records[q.id] for q in questions)
    summary["index"] = outcome.index or previous_index(out)
    summary["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_atomically(out / SUMMARY_FILE, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    write_atomically(out / REPORT_FILE, render_report(selected, summary))
    write_run_file(out, config, complete=summary["complete"])
    return summary


def _run_questions(
    todo: Sequence[Question],
    results_path: Path,
    outcome: EvalOutcome,
    options: EvalOptions,
    evaluation: Evaluation,
) -> bool:
    """Evaluate the remaining questions, appending one flushed line each; True when Ctrl-C stopped it."""
    corpus = read_corpus(evaluation)
    bm25 = Bm25Baseline(corpus.chunks)
    # One untimed query first: the first search of a process loads the HNSW index from disk.
    evaluation.rank(todo[0].question, chunks=RANK_CHUNKS, as_of=todo[0].asked_on)
    if not options.retrieval_only:
        evaluation.start_llm()  # before the loop, so that loading the model isn't counted as latency
    errors_in_a_row = 0
    with (
        results_path.open("a", encoding="utf-8") as results,
        progress_bar("Evaluating", "question", total=len(todo), enabled=options.progress) as bar,
    ):
        try:
            for question in todo:
                try:
                    record = evaluate_question(
                        question, evaluation, bm25, corpus, answer=not options.retrieval_only
                    )
                    errors_in_a_row = 0
                except Exception as exc:  # recorded and retried on resume; a run of them stops the run
                    errors_in_a_row += 1
                    record = {**question.fields(), "error": f"{type(exc).__name__}: {exc}"}
                    if errors_in_a_row >= MAX_CONSECUTIVE_ERRORS:
                        _append(results, record)
                        raise
                _append(results, record)
                outcome.evaluated += 1
                bar.update(1)
        except KeyboardInterrupt:
            return True
    return False


def _append(handle: TextIO, record: Mapping[str, Any]) -> None:
    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    handle.flush()  # a crash or Ctrl-C keeps every finished question


def evaluate_question(
    question: Question, evaluation: Evaluation, bm25: Bm25Baseline, corpus: Corpus, *, answer: bool
) -> dict[str, Any]:
    """Rank articles as the product does and with plain BM25, then (when `answer`) answer as the chat does."""
    retrieval = evaluation.rank(question.question, chunks=RANK_CHUNKS, as_of=question.asked_on)
    ranked = rank_articles((hit.article.id, hit.score) for hit in retrieval.nearest)[:RANKED_ARTICLES]
    titles = {hit.article.id: hit.article.title for hit in retrieval.nearest}
    keyword = bm25.rank(question.question, RANKED_ARTICLES)
    # The best cosine similarity found (with fusion, not necessarily that of the first chunk).
    top_score = max((hit.score for hit in retrieval.nearest), default=None)
    record: dict[str, Any] = {
        **question.fields(),
        "retrieved": [{"article_id": a, "title": titles[a], "score": round(s, 4)} for a, s in ranked],
        "gold_rank": first_gold_rank([a for a, _ in ranked], question.gold_ids),
        "stating_rank": stating_rank([a for a, _ in ranked], question, corpus),
        "top_score": rounded(top_score),
        # What the answer step's threshold would do: no chunk this similar means the LLM is not asked.
        "below_min_score": top_score is None or top_score < evaluation.decline_below(),
        "bm25": {
            "retrieved": [
                {"article_id": a, "title": corpus.titles.get(a, ""), "score": round(s, 4)} for a, s in keyword
            ],
            "gold_rank": first_gold_rank([a for a, _ in keyword], question.gold_ids),
            "stating_rank": stating_rank([a for a, _ in keyword], question, corpus),
        },
        "time_period": str(retrieval.period) if retrieval.period else None,
        "period": _period_json(retrieval.period),
        "timings_ms": {"retrieval": round(retrieval.ms, 1)},
    }
    if answer:
        result = evaluation.desk.ask(question.question, as_of=question.asked_on)
        record.update(answer_fields(result, question, corpus))
        record["timings_ms"].update(_answer_timings(result))
    else:
        prepared = evaluation.prepare(question.question, as_of=question.asked_on)
        record.update(judgment_fields(prepared.evidence, prepared.judgment, prepared.declined, question))
    return record


def judgment_fields(
    evidence: Sequence[GivenSource],
    judgment: Judgment | None,
    declined: AbstainReason | None,
    question: Question,
) -> dict[str, Any]:
    """What the judgment read and decided, and whether the evidence in fact states a gold answer (what
    it is fitted and scored against: a decline is only wrong when the evidence held the answer)."""
    return {
        "evidence": [source.to_json() for source in evidence],
        "judgment": judgment.to_json() if judgment else None,
        "declined_before_model": declined,
        "evidence_states_answer": evidence_states(evidence, question.answers),
    }


def evidence_states(evidence: Sequence[GivenSource], answers: Sequence[str]) -> bool:
    """Does one sentence given to the model state one of the gold answers?"""
    return any(
        states(sentence, gold) for source in evidence for sentence in source.sentences for gold in answers
    )


def stating_rank(ranked_ids: Sequence[str], question: Question, corpus: Corpus) -> int | None:
    """1-based rank of the first article that is gold or whose text states a gold answer (None: none).

    The gold ids of the shared set partly come from search results that merely contain the answer's
    words, and miss some articles that report the event: this second view counts any article that
    states the answer (lenient: a short answer such as "Six" is stated by many texts).
    """
    if not question.answerable:
        return None
    for rank, article_id in enumerate(ranked_ids, start=1):
        text = corpus.texts.get(article_id, "")
        if article_id in question.gold_ids or any(states(text, gold) for gold in question.answers):
            return rank
    return None


def _answer_timings(result: AnswerResult) -> dict[str, float | None]:
    timings = result.timings
    return {
        "answer_retrieval": round(timings.retrieval_ms, 1),
        "first_token": rounded(timings.first_token_ms, 1),
        "generation": rounded(timings.generation_ms, 1),
        "total": round(timings.total_ms, 1),
        "tokens_per_s": rounded(result.generation.tokens_per_s if result.llm_called else None, 2),
    }


def answer_fields(result: AnswerResult, question: Question, corpus: Corpus) -> dict[str, Any]:
    """The answer part of a result line: answer, abstention, citations and their verdicts."""
    # The sources the LLM saw: a prefix of `retrieved` (those over the threshold, minus any trimmed).
    sources = result.source_articles
    cited = list(dict.fromkeys(c.article_id for c in result.citations))
    supported = [
        article_id
        for article_id in cited
        if article_id in question.gold_ids
        or any(states(corpus.texts.get(article_id, ""), gold) for gold in question.answers)
    ]
    valid = 0 if result.abstained else count_valid_markers(result.answer, result.sources_given)
    verdict = judge_answer(
        result.answer,
        result.abstained,
        question.answers,
        question.choices,
        question.question,
        question.key_values,
        question.kind,
    )
    verdict.update(
        {
            "valid_markers": valid,
            "invalid_markers": result.invalid_citations,
            "citation_validity": rounded(citation_validity(valid, result.invalid_citations)),
            "cited_supported": supported,
        }
    )
    return {
        "answer": result.answer,
        "abstained": result.abstained,
        "abstain_reason": result.abstain_reason,
        "llm_called": result.llm_called,
        "sources": sources,
        "sources_trimmed": result.sources_trimmed,
        "withdrawn_answer": result.withdrawn_answer,
        "prompt_tokens": result.prompt_tokens,
        "citations": [
            {
                "n": c.n,
                "article_id": c.article_id,
                "title": c.title,
                "quote": c.quote,
                "supported": c.supported,
            }
            for c in result.citations
        ],
        "cited_articles": cited,
        "verdict": verdict,
        # What the judgment read, so that it can be judged again (and its setting swept) without the model.
        **judgment_fields(
            result.evidence,
            result.judgment,
            result.abstain_reason if not result.llm_called else None,
            question,
        ),
        "dense_articles": list(result.dense_articles),
        "keyword_articles": list(result.keyword_articles),
    }


def _period_json(period: DateRange | None) -> dict[str, str | None] | None:
    if period is None:
        return None
    return {
        "start": period.start.isoformat() if period.start else None,
        "end": period.end.isoformat() if period.end else None,
    }
