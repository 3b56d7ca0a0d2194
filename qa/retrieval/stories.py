"""Stories: the indexed articles that tell one story, linked by the rare words of their headline and lead.

Two articles are linked when the headline and first sentences of each share enough rare words (cosine of
their rarity-weighted word counts) and they were published within a few weeks of each other (an undated
article links by its words alone); a story is a chain of links. No model and no vectors: it reads the
words the keyword index already folds, so every store and embedding model gives the same stories. The
similarity was chosen on the realtimeqa-2023 timeline stories and reported on 2025 (docs/EVALUATION.md,
"Stories"); the gap of 21 days was the best of 7, 14 and 21 there.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from qa.results.stories import Story
from qa.text.dates import parse_date
from qa.text.sentences import split_sentences
from qa.text.words import keyword_tokens

LEAD_SENTENCES = 4  # the lead states what the story is; later sentences wander into background
# A word in more than this share of the articles (and more than 3 of them) says nothing of the story.
_COMMON_SHARE = 0.2


@dataclass(frozen=True)
class StoryLead:
    """What grouping reads of one article: its headline, date and opening text."""

    article_id: str
    title: str
    published: str | None
    text: str  # the article's opening text (its first chunk is enough)


def lead_words(lead: StoryLead) -> Counter[str]:
    """The folded words of the headline and the first sentences."""
    opening = " ".join(lead.text[s:e] for s, e in split_sentences(lead.text)[:LEAD_SENTENCES])
    return Counter(keyword_tokens(f"{lead.title}. {opening}"))


def group_stories(leads: Sequence[StoryLead], *, min_similarity: float, max_gap_days: int) -> list[Story]:
    """Every article in exactly one story (most alone); stories of several articles first, newest first."""
    vectors = _weighted(lead_words(lead) for lead in leads)
    days = [parse_date(lead.published) for lead in leads]
    parent = list(range(len(leads)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    holding: dict[str, list[int]] = defaultdict(list)
    for i, vector in enumerate(vectors):
        for word in vector:
            holding[word].append(i)
    for i, vector in enumerate(vectors):
        shared: dict[int, float] = defaultdict(float)
        for word, weight in vector.items():
            for j in holding[word]:
                if j > i:
                    shared[j] += weight * vectors[j][word]
        for j, similarity in shared.items():
            if similarity >= min_similarity and _close(days[i], days[j], max_gap_days):
                parent[root(i)] = root(j)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(leads)):
        members[root(i)].append(i)
    stories = [_story([leads[i] for i in group]) for group in members.values()]
    newest = {s.id: (parse_date(s.last) or date.min).toordinal() for s in stories}  # undated last
    return sorted(stories, key=lambda s: (len(s.article_ids) == 1, -newest[s.id], s.id))


def _weighted(counts: Iterable[Counter[str]]) -> list[dict[str, float]]:
    """Unit-length word weights: (1 + log count) x log(1 + N / articles holding the word)."""
    counts = list(counts)
    holding = Counter(word for words in counts for word in words)
    most = max(3, _COMMON_SHARE * len(counts))
    vectors = []
    for words in counts:
        weights = {
            word: (1 + math.log(n)) * math.log(1 + len(counts) / holding[word])
            for word, n in words.items()
            if 1 < holding[word] <= most  # a word of one article links nothing
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({word: w / norm for word, w in weights.items()})
    return vectors


def _close(a: date | None, b: date | None, max_gap_days: int) -> bool:
    return a is None or b is None or abs((a - b).days) <= max_gap_days


def _story(leads: list[StoryLead]) -> Story:
    ordered = sorted(leads, key=lambda lead: (lead.published is None, lead.published or "", lead.article_id))
    dated = [lead.published for lead in ordered if lead.published]
    first = ordered[0]
    return Story(
        first.article_id,
        first.title,
        tuple(lead.article_id for lead in ordered),
        dated[0] if dated else None,
        dated[-1] if dated else None,
    )
