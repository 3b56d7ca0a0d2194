"""How much of the answer the model's evidence keeps, and how long it is, for evidence settings.

    python bench/evidence_recall.py --articles ARTICLES.jsonl --questions QUESTIONS.jsonl [--data-dir DIR]

For every answerable question: retrieve as `qa ask` does (on the question's date), then count whether a
gold answer is stated in the five retrieved chunks, and in the evidence the model would read for each
setting of sentences per article (with and without the next sentence); prints the counts and the
evidence length in words (p50 / p95). The corpus must have been ingested by `qa eval` with the same
index settings (it reads the eval collection; nothing is written). No LLM is started.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import median_and_p95  # noqa: E402  (bench/, beside this script)


def main() -> None:
    """Print one line per evidence setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    args = parser.parse_args()

    from qa.answer.evidence import gather_evidence
    from qa.eval.corpus import collection_for, corpus_hash
    from qa.eval.questions import load_questions
    from qa.eval.scoring import states
    from qa.service import NewsDesk
    from qa.settings import Settings

    desk = NewsDesk(Settings(data_dir=args.data_dir))  # type: ignore[call-arg]
    corpus_sha256 = corpus_hash(args.articles, desk.evaluation().index_config())
    desk = desk.evaluation().on_collection(collection_for(corpus_sha256)).desk
    questions = [q for q in load_questions(args.questions) if q.answerable]
    today = date.today()  # a question without a date is asked today, as the facade does
    retrieved = [(q, desk._search.retrieve(q.question, as_of=q.asked_on or today).hits) for q in questions]

    def report(label: str, texts: list[str]) -> None:
        pairs = zip(retrieved, texts, strict=True)
        found = sum(any(states(text, answer) for answer in q.answers) for (q, _), text in pairs)
        words = sorted(len(text.split()) for text in texts)
        p50, p95 = median_and_p95(words)
        print(f"{label:<28} answer stated {found:>3} / {len(texts)}; words p50 {p50:>5.0f}, p95 {p95}")

    report("five chunks", [" ".join(hit.chunk.text for hit in hits) for _, hits in retrieved])
    for count in (1, 2, 3, 4, 5):
        for next_sentence in (False, True):
            texts = [
                "\n".join(
                    s.text
                    for s in gather_evidence(
                        q.question, hits, sentences_per_article=count, neighbours=next_sentence
                    )
                )
                for q, hits in retrieved
            ]
            report(f"{count} sentence(s){' + next' if next_sentence else ''}", texts)


if __name__ == "__main__":
    main()
