"""`qa eval`: metric functions, the runner (resume, Ctrl-C, index reuse), outputs and --compare.

The runner tests use the FAKE hashing embedder and a FAKE scripted chat model (a fixed reply per
question) with the in-memory store; the data is a tiny corpus written here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from qa import cli
from qa.embedding.fake import FakeEmbedder
from qa.errors import EvalError
from qa.eval.compare import compare_runs
from qa.eval.corpus import Corpus, collection_for, joined_text, read_corpus
from qa.eval.metrics import first_gold_rank, hit_at, mrr_at, percentile, rank_articles, retrieval_metrics
from qa.eval.questions import Question
from qa.eval.report import render_report
from qa.eval.runner import EvalOptions, answer_fields, run_eval
from qa.eval.scoring import (
    citation_validity,
    count_valid_markers,
    judge_answer,
    stated_choices,
    states,
    token_f1,
)
from qa.llm.fake import FakeChatModel
from qa.results import ABSTAIN_TEXT
from qa.service import NewsDesk
from qa.store.memory import InMemoryStore
from tests.conftest import write_jsonl

pytestmark = pytest.mark.unit

ARTICLES = [
    {
        "id": "art-bills",
        "title": "Hamlin collapses on the field",
        "published": "2023-01-03",
        "text": "Damar Hamlin, a safety for the Buffalo Bills, collapsed on the field during Monday's game "
        "against the Cincinnati Bengals. Hamlin was taken to hospital in Cincinnati.",
    },
    {
        "id": "art-pope",
        "title": "Funeral in Vatican City",
        "published": "2023-01-05",
        "text": "Former pope Benedict XVI was laid to rest in the grottoes under St Peter's Basilica on "
        "Thursday after a funeral mass led by Pope Francis in Vatican City.",
    },
    {
        "id": "art-sesame",
        "title": "New food allergen",
        "published": "2023-01-02",
        "text": "The FDA added sesame seeds to its list of major food allergens, so food labels must now "
        "declare sesame. Bakers said the allergen rule raises costs.",
    },
    {
        "id": "art-weather",
        "title": "Storms on the coast",
        "published": "2023-01-04",
        "text": "Heavy storms brought floods and power cuts to the California coast this week, and more rain "
        "is expected over the weekend.",
    },
]
QUESTIONS = [
    {
        "id": "t-0",
        "question_date": "2023-01-06",
        "question": "Damar Hamlin collapsed this week. He plays for which team?",
        "answers": ["Buffalo Bills"],
        "choices": ["Pittsburgh Steelers", "Cincinnati Bengals", "Buffalo Bills", "Cleveland Browns"],
        "gold_ids": ["art-bills"],
    },
    {
        "id": "t-1",
        "question_date": "2023-01-06",
        "question": "Which former pope was laid to rest this week?",
        "answers": ["Pope Benedict XVI"],
        "choices": ["Pope John Paul II", "Pope Paul VI", "Pope Francis", "Pope Benedict XVI"],
        "gold_ids": ["art-pope"],
    },
    {
        "id": "t-2",
        "question_date": "2023-01-06",
        "question": "Which seed did the FDA add to its list of major food allergens?",
        "answers": ["Sesame seeds"],
        "choices": ["Chia seeds", "Sesame seeds", "Pumpkin seeds", "Poppy seeds"],
        "gold_ids": ["art-sesame"],
    },
    {
        "id": "t-3",
        "question_date": "2023-01-06",
        "question": "Who won the world chess championship <b>this</b> week?",
        "answers": ["Ding Liren"],
        "choices": ["Ding Liren", "Magnus Carlsen", "Ian Nepomniachtchi", "Hikaru Nakamura"],
        "gold_ids": [],
    },
]
# Keyed by a word of the question. t-0 is right; t-1 names two choices (wrong); t-2 cites a 9th source
# that was never given (invalid marker); t-3 has no gold article and abstains.
REPLIES = {
    "Hamlin": "Damar Hamlin plays for the Buffalo Bills [1].",
    "pope": "Pope Benedict XVI, not Pope Francis, was laid to rest [1].",
    "FDA": "The FDA added sesame seeds [1][9].",
    "chess": ABSTAIN_TEXT,
}


class ScriptedChat(FakeChatModel):
    """FAKE chat model: a fixed reply chosen by a word of the question; counts its calls."""

    replies: dict[str, str] = {}
    interrupt_on: str | None = None  # a question word that raises KeyboardInterrupt (Ctrl-C)
    calls: int = 0

    def _reply_for(self, messages: list[BaseMessage]) -> str:
        prompt = next(m.text for m in reversed(messages) if m.type == "human")
        match = re.search(r"Question: (.+)", prompt)
        question = match.group(1) if match else ""
        self.calls += 1
        if self.interrupt_on and self.interrupt_on in question:
            raise KeyboardInterrupt
        return next((reply for word, reply in self.replies.items() if word in question), ABSTAIN_TEXT)


def _files(tmp_path: Path) -> tuple[Path, Path]:
    articles, questions = tmp_path / "articles.jsonl", tmp_path / "questions.jsonl"
    write_jsonl(articles, ARTICLES)
    write_jsonl(questions, QUESTIONS)
    return articles, questions


# The fake embedder's similarities are low: min_score 0 lets every question reach the LLM.
EVAL_SETTINGS = {"chunk_tokens": 40, "chunk_overlap_tokens": 8, "min_score": 0.0}
MakeDesk = Callable[..., NewsDesk]


@pytest.fixture
def desk(make_desk: MakeDesk) -> Callable[..., NewsDesk]:
    """A desk for `qa eval` on one in-memory database shared by every desk of the test (like one data dir)."""
    store = InMemoryStore()

    def make(chat: FakeChatModel | None = None, **overrides: Any) -> NewsDesk:
        return make_desk(store=store, chat_model=chat, **{**EVAL_SETTINGS, **overrides})

    make.store = store  # type: ignore[attr-defined]
    return make


def _options(tmp_path: Path, out: str | None, **overrides: Any) -> EvalOptions:
    articles, questions = _files(tmp_path)
    values: dict[str, Any] = {
        "articles": articles,
        "questions": questions,
        "out": tmp_path / out if out else None,
        "progress": False,
        "runs_root": tmp_path / "runs",
    }
    values.update(overrides)
    return EvalOptions(**values)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- pure metrics -------------------------------------------------------------------------------------


def test_known_ranks_give_exact_hit_at_k_and_mrr() -> None:
    ranks = [1, 2, 4, None, 11]
    assert [hit_at(ranks, k) for k in (1, 3, 5, 10)] == [0.2, 0.4, 0.6, 0.6]
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 2 + 1 / 4) / 5)
    assert retrieval_metrics(ranks) == {
        "hit@1": 0.2,
        "hit@3": 0.4,
        "hit@5": 0.6,
        "hit@10": 0.6,
        "mrr@10": 0.35,
    }
    assert hit_at([], 5) is None and mrr_at([], 10) is None


def test_article_ranks_count_each_article_once_at_its_best_chunk() -> None:
    chunks = [("a", 0.9), ("a", 0.8), ("b", 0.7), ("a", 0.6), ("c", 0.5)]
    ranked = rank_articles(chunks)
    assert ranked == [("a", 0.9), ("b", 0.7), ("c", 0.5)]
    assert first_gold_rank([a for a, _ in ranked], ["c", "z"]) == 3
    assert first_gold_rank(["a", "b"], ["z"]) is None


def test_an_answer_that_names_two_choices_is_wrong() -> None:
    choices = ["Pope John Paul II", "Pope Paul VI", "Pope Pius XII", "Pope Benedict XVI"]
    gold = ["Pope Benedict XVI"]
    assert judge_answer("Pope Benedict XVI was laid to rest [1].", False, gold, choices)["correct"]
    two = judge_answer("Pope Benedict XVI or Pope Paul VI [1].", False, gold, choices)
    assert not two["correct"] and two["stated"] == ["Pope Paul VI", "Pope Benedict XVI"]
    assert not judge_answer("Pope Benedict XVI", True, gold, choices)["correct"]  # abstained: not correct


def test_choice_matching_ignores_case_punctuation_and_plurals() -> None:
    choices = ["Chickens", "Cows", "Boxes", "Countries"]
    assert stated_choices("A CHICKEN, it says.", choices) == [0]
    assert stated_choices("one box and one country", choices) == [2, 3]
    assert states("Crowds in Brazil mourned Pelé", "pele")
    # A choice inside a longer choice is not stated separately: "Bills" is part of "Buffalo Bills".
    assert stated_choices("the Buffalo Bills", ["Bills", "Buffalo Bills"]) == [1]
    assert judge_answer(
        "They play for the Buffalo Bills [2].", False, ["Buffalo Bills"], ["Bills", "Buffalo Bills"]
    )["correct"]


def test_the_lenient_check_accepts_a_distinguishing_word_of_the_gold_choice_only() -> None:
    teams = ["Pittsburgh Steelers", "Cincinnati Bengals", "Buffalo Bills", "Cleveland Browns"]
    verdict = judge_answer("The Bills [1].", False, ["Buffalo Bills"], teams)
    assert not verdict["correct"] and verdict["lenient"]  # strict: "Buffalo Bills" is not stated
    assert not judge_answer("The Bills beat the Bengals.", False, ["Buffalo Bills"], teams)["lenient"]
    assert not judge_answer("The Bills.", True, ["Buffalo Bills"], teams)["lenient"]
    # "energy" would single out "Geothermal energy", but the question says it too, so it doesn't count.
    energy = ["Wind power", "Solar power", "Hydropower", "Geothermal energy"]
    question = "Which type of renewable energy hit a record?"
    assert judge_answer("Wind energy [1].", False, ["Wind power"], energy, question)["lenient"]
    assert not judge_answer("Wind energy [1].", False, ["Wind power"], energy)["lenient"]


def test_free_text_answers_use_containment_and_token_f1() -> None:
    verdict = judge_answer("It was Pope Benedict XVI [1].", False, ["Benedict XVI"])
    assert verdict["correct"] and not verdict["exact"] and 0 < verdict["f1"] < 1
    assert judge_answer("Benedict XVI", False, ["benedict xvi"])["exact"]
    assert not judge_answer("Pope Francis", False, ["Benedict XVI"])["correct"]
    assert token_f1("sesame seeds", "Sesame seed") == 1.0


def test_out_of_range_markers_lower_citation_validity() -> None:
    assert count_valid_markers("A [1]. B [2][1].", sources_given=2) == 3
    assert citation_validity(valid=1, invalid=1) == 0.5
    assert citation_validity(valid=3, invalid=0) == 1.0
    assert citation_validity(0, 0) is None


def test_percentile_interpolates() -> None:
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) is None


# --- the runner ---------------------------------------------------------------------------------------

Desk = Callable[..., NewsDesk]


def test_answer_run_scores_answers_abstention_and_citations(tmp_path: Path, desk: Desk) -> None:
    outcome = run_eval(_options(tmp_path, "run"), desk(ScriptedChat(replies=REPLIES)))
    summary = outcome.summary
    assert summary["questions"] == 4 and summary["answerable"] == 3 and summary["complete"]
    assert summary["retrieval"]["hit@1"] == 1.0 and summary["retrieval"]["mrr@10"] == 1.0
    assert summary["bm25"]["hit@5"] == 1.0
    # t-0 right, t-1 names two choices, t-2 right (its extra marker only hurts validity), t-3 abstains.
    assert summary["answer"]["accuracy_answerable"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["answer"]["accuracy_all"] == 0.5
    assert summary["abstention"] == {
        "abstained_by_not_stated": 1,  # t-3: no source sentence is about chess: declined before the model
        "no_gold_abstain_rate": 1.0,
        "answerable_abstain_rate": 0.0,
        "no_gold_below_min_score": 0.0,
        "answerable_below_min_score": 0.0,
    }
    # Four markers were written: three pointed at a given source, [9] did not.
    assert summary["citations"]["validity"] == 0.75
    assert summary["citations"]["precision"] == 1.0
    # Every quote holds the names its claim adds to the question ("Buffalo Bills", "Benedict XVI").
    assert summary["citations"]["quote_support"] == 1.0 and summary["citations"]["quotes"] == 3
    assert summary["latency_ms"]["prompt_tokens_p50"] > 0
    records = {r["id"]: r for r in _lines(outcome.out_dir / "results.jsonl")}
    assert records["t-0"]["citations"][0]["quote"].startswith("Damar Hamlin, a safety for the Buffalo Bills")
    assert records["t-2"]["verdict"]["invalid_markers"] == 1
    assert records["t-2"]["verdict"]["citation_validity"] == 0.5
    assert records["t-0"]["retrieved"][0]["article_id"] == "art-bills"
    assert set(records["t-0"]["timings_ms"]) >= {"retrieval", "first_token", "total", "tokens_per_s"}


def test_asked_later_reasks_only_the_questions_without_time_words_a_year_on(
    tmp_path: Path, desk: Desk
) -> None:
    outcome = run_eval(_options(tmp_path, "later", asked_later_days=365), desk(ScriptedChat(replies=REPLIES)))
    records = _lines(outcome.out_dir / "results.jsonl")
    # t-0 and t-1 say "this week" (t-3's "<b>this</b> week" is markup, not time words): the others
    # are asked a year after their date.
    assert [(r["id"], r["question_date"]) for r in records] == [("t-2", "2024-01-06"), ("t-3", "2024-01-06")]
    assert not records[0]["abstained"] and outcome.summary["config"]["asked_later_days"] == 365


def test_summary_has_the_documented_keys_and_the_report_is_self_contained(tmp_path: Path, desk: Desk) -> None:
    outcome = run_eval(_options(tmp_path, "run"), desk(ScriptedChat(replies=REPLIES)))
    summary = json.loads((outcome.out_dir / "summary.json").read_text())
    assert summary["questions"] == 4 and summary["answerable"] == 3
    assert set(summary["retrieval"]) >= {"hit@1", "hit@3", "hit@5", "hit@10", "mrr@10"}
    assert set(summary["bm25"]) >= {"hit@5", "mrr@10"}
    assert set(summary["answer"]) >= {"accuracy_answerable", "accuracy_all"}
    assert set(summary["abstention"]) >= {"no_gold_abstain_rate", "answerable_abstain_rate"}
    assert set(summary["citations"]) >= {"validity", "precision"}
    assert set(summary["latency_ms"]) >= {"retrieval_p50", "retrieval_p95", "answer_p50", "answer_p95"}
    assert set(summary["config"]) >= {
        "embedding_model",
        "chunk_tokens",
        "chunk_overlap_tokens",
        "k",
        "min_score",
        "llm",
        "llm_max_tokens",
        "llm_temperature",
        "collection",
        "corpus_sha256",
        "questions",
        "limit",
        "retrieval_only",
        "prompt_sha256",
    }
    page = (outcome.out_dir / "report.html").read_text()
    assert "<svg" in page and "<polyline" in page and "<rect" in page and "hit@5" in page
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "t-1" in page and "wrong answer" in page  # t-1 names two choices: listed with its answer

    # Text from the data is escaped.
    record = {**_lines(outcome.out_dir / "results.jsonl")[1], "question": "<script>alert(1)</script>?"}
    page = render_report([record], summary)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;?" in page


def test_resume_skips_questions_already_done(tmp_path: Path, desk: Desk) -> None:
    first_chat = ScriptedChat(replies=REPLIES)
    run_eval(_options(tmp_path, "run", limit=2), desk(first_chat))
    assert first_chat.calls == 2

    chat, embedder = ScriptedChat(replies=REPLIES), FakeEmbedder()
    outcome = run_eval(_options(tmp_path, "run"), desk(chat, embedder=embedder))
    assert outcome.resumed == 2 and outcome.evaluated == 2
    assert chat.calls == 1  # only t-2 was asked (t-3 is declined before the model)
    # The warm-up query, then t-2 and t-3 (ranking + answer): no article embedded again.
    assert embedder.calls == 1 + 2 * 2
    assert [r["id"] for r in _lines(outcome.out_dir / "results.jsonl")] == ["t-0", "t-1", "t-2", "t-3"]
    assert outcome.summary["questions"] == 4 and outcome.summary["complete"]


def test_ctrl_c_keeps_what_was_done_and_the_same_command_resumes(tmp_path: Path, desk: Desk) -> None:
    options = _options(tmp_path, None)  # no --out: the rerun must find the unfinished run
    stopped = run_eval(options, desk(ScriptedChat(replies=REPLIES, interrupt_on="FDA")))
    assert stopped.interrupted and stopped.evaluated == 2
    assert (stopped.out_dir / "summary.json").exists() and not stopped.summary["complete"]
    assert stopped.summary["questions"] == 2

    chat = ScriptedChat(replies=REPLIES)
    resumed = run_eval(options, desk(chat))
    assert resumed.out_dir == stopped.out_dir
    assert not resumed.interrupted and resumed.resumed == 2 and chat.calls == 1  # t-3: not asked
    assert resumed.summary["complete"]
    # A finished run is not resumed again: the same command then starts a new run directory.
    again = run_eval(options, desk(ScriptedChat(replies=REPLIES)))
    assert again.out_dir != stopped.out_dir and again.evaluated == 4


def test_a_run_dir_with_other_settings_is_refused(tmp_path: Path, desk: Desk) -> None:
    run_eval(_options(tmp_path, "run", retrieval_only=True), desk())
    with pytest.raises(EvalError, match="other settings"):
        run_eval(_options(tmp_path, "run"), desk(ScriptedChat(replies=REPLIES)))


def test_progress_written_to_a_log_is_plain_lines(
    tmp_path: Path, desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    run_eval(_options(tmp_path, "run", retrieval_only=True, progress=True), desk())
    err = capsys.readouterr().err  # not a terminal: no bar redrawn with "\r" or ESC [A
    assert "\x1b" not in err and "\r" not in err
    assert any(
        line.startswith(f"Evaluating: {len(QUESTIONS)}/{len(QUESTIONS)} questions")
        for line in err.splitlines()
    )


def test_the_corpus_hash_reuses_the_index_and_leaves_the_users_collection_alone(
    tmp_path: Path, desk: Desk
) -> None:
    first = run_eval(_options(tmp_path, "a", retrieval_only=True), desk())
    assert first.index["chunks_embedded"] > 0

    embedder = FakeEmbedder()
    second = run_eval(_options(tmp_path, "b", retrieval_only=True), desk(embedder=embedder))
    assert second.index["chunks_embedded"] == 0
    # A warm-up query, then each question twice (ranked, then judged as the answer step would): no
    # article chunk.
    assert embedder.calls == 1 + 2 * len(QUESTIONS)
    collection = second.summary["config"]["collection"]
    assert (
        collection
        == first.summary["config"]["collection"]
        == collection_for(second.summary["config"]["corpus_sha256"])
    )
    assert re.fullmatch(r"eval-[0-9a-f]{12}", collection)
    assert second.summary["retrieval"] == first.summary["retrieval"]
    assert second.summary["answer"]["accuracy_all"] is None  # retrieval only: nothing answered

    users = desk.store  # type: ignore[attr-defined]  # the user's collection was never written to
    assert users.stored_config() == {} and users.count_chunks() == 0

    # Other index settings (chunking) give another collection rather than mixing vectors.
    third = run_eval(_options(tmp_path, "c", retrieval_only=True), desk(chunk_tokens=60))
    assert third.summary["config"]["collection"] != collection and third.index["chunks_embedded"] > 0


def test_a_named_collection_holds_the_corpus_and_one_holding_other_articles_is_refused(
    tmp_path: Path, desk: Desk
) -> None:
    first = run_eval(_options(tmp_path, "a", retrieval_only=True, collection="my-eval"), desk())
    assert first.summary["config"]["collection"] == "my-eval"
    named = desk.store.open_collection("my-eval")  # type: ignore[attr-defined]
    assert {a.id for a in named.list_articles()} == {a["id"] for a in ARTICLES}
    again = run_eval(_options(tmp_path, "b", retrieval_only=True, collection="my-eval"), desk())
    assert again.index["chunks_embedded"] == 0  # an earlier run of the same corpus: its index is reused

    own = tmp_path / "own.txt"
    own.write_text("Harbour news\n\nThe ferry to the islands runs again from Monday, the operator said. " * 2)
    users = desk()
    users.ingest([own], progress=False)
    theirs = desk.store.collection_name  # type: ignore[attr-defined]
    with pytest.raises(
        EvalError, match=rf"collection '{theirs}' holds 1 article\(s\) from elsewhere .*own\.txt"
    ):
        run_eval(_options(tmp_path, "c", retrieval_only=True, collection=theirs), desk())
    assert [a.origin for a in users.list_articles()] == [str(own)]  # the user's collection is untouched


def test_filter_and_limit_select_questions(tmp_path: Path, desk: Desk) -> None:
    outcome = run_eval(_options(tmp_path, "run", retrieval_only=True, prefix="t-", limit=3), desk())
    assert [r["id"] for r in _lines(outcome.out_dir / "results.jsonl")] == ["t-0", "t-1", "t-2"]


def test_a_failing_question_is_recorded_and_retried_on_resume(tmp_path: Path, desk: Desk) -> None:
    class Flaky(ScriptedChat):
        def _reply_for(self, messages: list[BaseMessage]) -> str:
            reply = super()._reply_for(messages)
            if "pope" in reply.lower():
                raise RuntimeError("model went away")
            return reply

    outcome = run_eval(_options(tmp_path, "run"), desk(Flaky(replies=REPLIES)))
    assert outcome.summary["errors"] == 1 and not outcome.summary["complete"]
    assert outcome.summary["questions"] == 3
    chat = ScriptedChat(replies=REPLIES)
    retried = run_eval(_options(tmp_path, "run"), desk(chat))
    assert chat.calls == 1 and retried.summary["errors"] == 0 and retried.summary["complete"]


def test_the_corpus_is_read_back_from_the_index(tmp_path: Path, desk: Desk) -> None:
    articles, _ = _files(tmp_path)
    indexed = desk(chunk_tokens=16, chunk_overlap_tokens=4)
    indexed.ingest([articles], progress=False)
    corpus = read_corpus(indexed.evaluation())
    assert corpus.texts == {a["id"]: a["text"] for a in ARTICLES}  # whole texts, from overlapping chunks
    assert corpus.titles["art-pope"] == "Funeral in Vatican City"
    assert [c.id for c in corpus.chunks] == [c.id for c in indexed.evaluation().indexed_chunks()]
    assert len(corpus.chunks) > len(ARTICLES)  # 16-word chunks: several per article


def test_chunks_join_at_their_offsets() -> None:
    from qa.documents import Chunk

    text = "First sentence here. Second one.\n\nThird paragraph."
    chunks = [Chunk("a#1", "a", 1, "Second one.", 21, 32), Chunk("a#0", "a", 0, text[:32], 0, 32)]
    chunks.append(Chunk("a#2", "a", 2, "Third paragraph.", 34, 50))
    assert joined_text(chunks) == "First sentence here. Second one.  Third paragraph."


def test_answer_fields_take_sources_from_the_result(tmp_path: Path, desk: Desk) -> None:
    articles, _ = _files(tmp_path)
    answering = desk(ScriptedChat(replies={"FDA": "Sesame seeds [1][7]."}))
    answering.ingest([articles], progress=False)
    result = answering.ask("Which seed did the FDA add to its list of major food allergens?")
    question = Question(id="q", question=result.question, answers=("Sesame seeds",), gold_ids=())
    corpus = Corpus(texts={a["id"]: a["text"] for a in ARTICLES})
    fields = answer_fields(result, question, corpus)
    assert fields["sources"] == [h.article.id for h in result.retrieved[: result.sources_given]]
    assert fields["cited_articles"] == ["art-sesame"]
    # Not a gold id here, but the article states the answer: the citation still counts as precise.
    assert fields["verdict"]["cited_supported"] == ["art-sesame"]
    assert fields["verdict"]["valid_markers"] == 1 and fields["verdict"]["invalid_markers"] == 1
    answering.close()


# --- compare and the CLI ------------------------------------------------------------------------------


def test_compare_prints_metric_deltas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, hit5, llm in (("a", 0.5, "fake"), ("b", 0.75, "local:x")):
        run = tmp_path / name
        run.mkdir()
        summary = {
            "questions": 4,
            "retrieval": {"hit@5": hit5, "mrr@10": 0.5},
            "answer": {"accuracy_all": None},
            "config": {"llm": llm, "k": 5},
        }
        (run / "summary.json").write_text(json.dumps(summary))
    table = compare_runs(tmp_path / "a", tmp_path / "b")
    row = next(line for line in table.splitlines() if line.startswith("retrieval.hit@5"))
    assert row.split()[1:] == ["0.5", "0.75", "+0.25"]
    assert "llm: 'fake' -> 'local:x'" in table

    assert cli.main(["eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "retrieval.mrr@10" in capsys.readouterr().out


def test_cli_eval_runs_retrieval_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles, questions = _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("QA_STORE_BACKEND", "memory")
    monkeypatch.setenv("QA_CHUNK_TOKENS", "40")
    monkeypatch.setenv("QA_CHUNK_OVERLAP_TOKENS", "8")
    code = cli.main(
        ["eval", "--articles", str(articles), "--questions", str(questions), "--retrieval-only", "--quiet"]
    )
    assert code == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert {p.name for p in run.iterdir()} >= {"results.jsonl", "summary.json", "report.html"}
    assert cli.main(["eval", "--retrieval-only"]) == 2  # --articles and --questions are required


def test_an_order_answer_is_judged_by_its_verdict_not_by_the_sides_it_names_after() -> None:
    wrong = "Saltings footbridge came first: kestle bridge on 9 Dec [1]; saltings footbridge on 5 Dec [2]."
    assert not judge_answer(wrong, False, ["Kestle"], key_values=["Kestle"], kind="order")["correct"]
    right = (
        "Kestle bridge came first: kestle bridge on 3 December [1]; saltings footbridge on 5 December [2]."
    )
    assert judge_answer(right, False, ["Kestle"], key_values=["Kestle"], kind="order")["correct"]
    assert judge_answer(
        "The Kestle bridge opened first [2].", False, ["Kestle"], key_values=["Kestle"], kind="order"
    )["correct"]
