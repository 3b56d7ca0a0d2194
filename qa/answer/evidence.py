"""Evidence, not chunks: the sentences of the retrieved articles that bear on the question.

Retrieval hands over up to k chunks (at most a few per article). The model reads one source per
article instead: its headline, outlet and date, and the few sentences that share the question's rarest
words, each followed by the next sentence (news states a fact, then names who or where). That is a few
hundred tokens of the right text instead of five 200-token chunks, and a quote is always one of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa.answer.judgment import (
    coverage_of,
    holds_answer_kind,
    question_words,
    sentence_words,
    word_weights,
)
from qa.documents import ArticleInfo, ScoredChunk
from qa.results import GivenSource, SourcePreview
from qa.text.sentences import split_sentences
from qa.text.words import keyword_tokens

GAP = " … "  # between sentences that are not next to each other in the article


@dataclass(frozen=True)
class EvidenceSentence:
    """One sentence of an article, with its offsets in the cleaned article text and the chunk it is in."""

    text: str
    start: int
    end: int
    hit: ScoredChunk


@dataclass(frozen=True)
class EvidenceSource:
    """What the model reads as source [n]: one article, and its sentences that bear on the question."""

    n: int
    article: ArticleInfo
    sentences: tuple[EvidenceSentence, ...]
    best: EvidenceSentence | None = None  # the one ranked first for the question (None: not ranked)

    def preview(self) -> SourcePreview:
        """The source as presenters show it before the answer: its article, evidence and best sentence."""
        best = self.best or (self.sentences[0] if self.sentences else None)
        return SourcePreview(self.n, self.article, self.text, best.text if best else "")

    @property
    def text(self) -> str:
        """The sentences in article order, with a gap mark where the article goes on in between."""
        parts: list[str] = []
        previous_end: int | None = None
        for sentence in self.sentences:
            if parts:
                between = sentence.start - (previous_end or 0)
                # A headline or paragraph end has no full stop: keep its line break, or the model (and
                # the claim checks) read it as one sentence with the next.
                parts.append(GAP if between > 2 else "\n" if _breaks_line(sentence, previous_end) else " ")
            parts.append(sentence.text)
            previous_end = sentence.end
        return "".join(parts)


def given_sources(sources: Sequence[EvidenceSource]) -> tuple[GivenSource, ...]:
    """The evidence as results keep it: each source's article, date and sentences."""
    return tuple(
        GivenSource(s.n, s.article.id, s.article.published, tuple(x.text for x in s.sentences))
        for s in sources
    )


def _breaks_line(sentence: EvidenceSentence, previous_end: int | None) -> bool:
    """Is there a line break between `previous_end` and `sentence` (in the sentence's chunk)?"""
    chunk = sentence.hit.chunk
    if previous_end is None or previous_end < chunk.start:
        return False
    return "\n" in chunk.text[previous_end - chunk.start : sentence.start - chunk.start]


def gather_evidence(
    question: str,
    hits: Sequence[ScoredChunk],
    *,
    sentences_per_article: int,
    neighbours: bool = True,
    first_article_sentences: int | None = None,
) -> list[EvidenceSource]:
    """One source per article, in the order retrieval ranked them; `sentences_per_article` 0 keeps every
    sentence of the retrieved chunks (the whole chunks, as v1 did); the first article may give more
    (`first_article_sentences`): a reworded question shares few words with the sentence that answers it."""
    by_article: dict[str, list[EvidenceSentence]] = {}
    infos: dict[str, ArticleInfo] = {}
    for hit in hits:
        infos.setdefault(hit.article.id, hit.article)
        known = by_article.setdefault(hit.article.id, [])
        seen = {s.start for s in known}
        for start, end in split_sentences(hit.chunk.text):
            if hit.chunk.start + start not in seen:  # overlapping chunks share sentences
                known.append(
                    EvidenceSentence(
                        hit.chunk.text[start:end], hit.chunk.start + start, hit.chunk.start + end, hit
                    )
                )
    for known in by_article.values():
        known.sort(key=lambda s: s.start)
    weights = _word_weights(question, by_article.values())
    first = sentences_per_article if first_article_sentences is None else first_article_sentences
    return [
        EvidenceSource(
            n,
            infos[article_id],
            *_pick(question, known, weights, first if n == 1 else sentences_per_article, neighbours),
        )
        for n, (article_id, known) in enumerate(by_article.items(), start=1)
    ]


def related_sources(
    question: str, sources: Sequence[EvidenceSource], *, min_share: float = 0.0
) -> list[EvidenceSource]:
    """The sources worth reading, renumbered; the first-ranked one always stays.

    An article none of whose given sentences shares a word with the question is not evidence, only
    prompt to read: in a small collection the top k holds unrelated stories. Nor is one whose sentences
    cover less than `min_share` of what the best-covering source covers (coverage: the judgment's
    rarity-weighted share of the question's content words): the 1.5B model takes a number or a name
    from whatever it reads, and "how many bus drivers will Millford hire?" was answered with the 45
    deckhands of a ferry story read beside the budget article that says 30.
    """
    asked = set(keyword_tokens(question))
    held = sentence_words(given_sources(sources))
    weights = word_weights(question_words(question), held)
    covered = [coverage_of(set().union(*words), weights) for words in held]
    best = max(covered, default=0.0)
    kept = [
        s
        for rank, s in enumerate(sources)
        if rank == 0 or (any(asked & words for words in held[rank]) and covered[rank] >= min_share * best)
    ]
    return renumbered(kept)


def renumbered(sources: Iterable[EvidenceSource]) -> list[EvidenceSource]:
    """The sources numbered [1], [2], … in their order, as the model will read them."""
    return [EvidenceSource(n, s.article, s.sentences, s.best) for n, s in enumerate(sources, start=1)]


def _word_weights(question: str, articles: Iterable[list[EvidenceSentence]]) -> dict[str, float]:
    """The question's words, each weighted by how rare it is among the candidate sentences."""
    sentence_words = [set(keyword_tokens(s.text)) for known in articles for s in known]
    counts = Counter(word for words in sentence_words for word in words)
    total = len(sentence_words)
    asked = set(keyword_tokens(question))
    return {word: math.log(1 + total / counts[word]) for word in asked if counts[word]}


def _pick(
    question: str, known: list[EvidenceSentence], weights: dict[str, float], count: int, neighbours: bool
) -> tuple[tuple[EvidenceSentence, ...], EvidenceSentence | None]:
    """The sentences to read, in article order, and the one ranked first (`count` 0: every sentence)."""
    # A sentence holding the kind of answer asked for (a number for "how many") counts as much as the
    # question's rarest word: a reworded question shares few words with the sentence that answers it.
    kind_weight = max(weights.values(), default=1.0)
    scores = [
        sum(weights.get(word, 0.0) for word in set(keyword_tokens(s.text)))
        + kind_weight * holds_answer_kind(question, s.text)
        for s in known
    ]
    ranked = sorted(range(len(known)), key=lambda i: (-scores[i], i))
    best = known[ranked[0]] if ranked else None
    if count <= 0:
        return tuple(known), best
    chosen: set[int] = set()
    for i in ranked[:count]:
        if scores[i] <= 0 and chosen:
            continue  # no question word at all: only worth reading when nothing else is there
        chosen.add(i)
        if neighbours and i + 1 < len(known):
            chosen.add(i + 1)
    return tuple(known[i] for i in sorted(chosen)), best
