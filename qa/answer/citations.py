"""Citation checks: markers validated while the answer streams, and the sentence that supports each claim."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Sequence

from qa.answer.evidence import EvidenceSentence, EvidenceSource
from qa.answer.support import key_words, supports
from qa.results import Citation
from qa.text.markers import CHECKED_MARKER, WRITTEN_MARKER, marker_numbers, strip_trailing_markers
from qa.text.sentences import sentences
from qa.text.values import stated_words
from qa.text.words import content_words

_CLOSING_PUNCTUATION = frozenset(".,;:!?)")
_MAX_MARKER_LEN = 32  # an unclosed "[" longer than this is ordinary text, not a marker in progress
# Markers after a sentence's full stop ("... Huawei. [1]", "... Huawei.[1]"): the splitter would give
# them to the next sentence, or none; they close the sentence before them.
_MARKERS_AFTER_STOP = re.compile(rf"([.!?…]+[\"'”’)]*)((?:\s*{CHECKED_MARKER.pattern})+)")


class SourceMatcher:
    """Scores how well each given source supports a claim: its key words first, then shared content words."""

    def __init__(self, sources: Sequence[EvidenceSource], question: str = "") -> None:
        self._sources = sources
        self._question = question
        self._sentences = [[content_words(s.text) for s in source.sentences] for source in sources]

    def support(self, claim: str, n: int) -> float:
        """Best overlap between the claim and one sentence of source `n` (numbers count double)."""
        words = content_words(claim)
        return max((_weighted(words & sentence) for sentence in self._sentences[n - 1]), default=0.0)

    def states(self, claim: str, n: int) -> bool:
        """Does one sentence of source `n` hold every name and number the claim adds to the question?"""
        return any(supports(s.text, claim, self._question) for s in self._sources[n - 1].sentences)

    def best_source(self, claim: str, cited: int) -> int:
        """The cited source, unless another one supports the claim clearly better."""
        numbers = range(1, len(self._sentences) + 1)
        if key_words(claim, self._question) and not self.states(claim, cited):
            # The claim's names or numbers are not in the cited source: point at one that has them all.
            stating = [n for n in numbers if self.states(claim, n)]
            if stating:
                return max(stating, key=lambda n: (self.support(claim, n), -n))
        scores = {n: self.support(claim, n) for n in numbers}
        best = max(scores, key=lambda n: (scores[n], n == cited))
        # Re-point only on clear evidence: small models often cite a neighbour of the right source.
        if scores[best] >= 2 * max(scores[cited], 1.0) and scores[best] - scores[cited] >= 2:
            return best
        return cited


def _weighted(words: set[str]) -> float:
    """Numbers and values ("900", "$4", "1776-07-04") count double: they are what a claim is about."""
    return sum(1.0 if word.isalpha() else 2.0 for word in words)


class CitationFilter:
    """Streams text through, holding back a possible [n] marker until it closes, then validates it.

    A marker that points at no given source is dropped (counted in `invalid`); with a `matcher`, a
    marker whose source does not support the claim it closes, while another source clearly does, is
    re-pointed (counted in `corrected`). What comes out carries only checked markers: "[1][2]".
    """

    def __init__(self, n_sources: int, matcher: SourceMatcher | None = None) -> None:
        self._n_sources = n_sources
        self._matcher = matcher
        self._held = ""
        self._shown = ""  # everything released so far: a marker's claim is the sentence at its end
        self._after_drop = False
        self.invalid = 0
        self.corrected = 0
        self.cited: list[int] = []

    def feed(self, text: str) -> str:
        """Return the text that is safe to show now."""
        self._held += text
        released_before = len(self._shown)
        while self._held and self._step():
            pass
        return self._shown[released_before:]

    def _step(self) -> bool:
        """Release what can be released of the held text; False when more text is needed first."""
        if self._after_drop:
            rest = self._held.lstrip(" ")
            if not rest:
                return False  # wait to see what follows the dropped marker
            # Punctuation closes up to the word before the dropped marker; a word keeps one space.
            spaces = self._held[: len(self._held) - len(rest)]
            self._held = rest if rest[0] in _CLOSING_PUNCTUATION else spaces[:1] + rest
            self._after_drop = False
        open_at = self._held.find("[")
        if open_at < 0:
            # Trailing spaces wait: if a marker follows and is dropped, its space goes too.
            self._release(len(self._held.rstrip(" ")))
            return False
        space_at = len(self._held[:open_at].rstrip(" "))
        self._release(space_at)
        close_at = self._held.find("]")
        if close_at < 0:
            if len(self._held) > _MAX_MARKER_LEN + (open_at - space_at):
                self._release(1)
                return True
            return False  # wait for more text
        inner_open = self._held.rfind("[", 0, close_at)
        if inner_open > self._held.find("["):
            # "[the deal is off [9]": an unmatched "[" is text; the marker is what the "]" closes.
            self._release(len(self._held[:inner_open].rstrip(" ")))
            return True
        candidate = self._held[: close_at + 1]
        self._held = self._held[close_at + 1 :]
        spaces = candidate[: len(candidate) - len(candidate.lstrip(" "))]
        marker = self._rewrite(candidate.lstrip(" "))
        if marker:
            self._shown += spaces + marker
        else:
            # A dropped marker gives its space back to what follows, unless that is punctuation.
            self._held = spaces + self._held
            self._after_drop = True
        return True

    def flush(self) -> str:
        """Release whatever is still held at the end of the stream."""
        held, self._held = self._held, ""
        self._shown += held
        return held

    def _release(self, length: int) -> None:
        self._shown += self._held[:length]
        self._held = self._held[length:]

    def _claim(self) -> str:
        """The sentence that the marker being read closes: the shown text since the previous sentence."""
        text = strip_trailing_markers(self._shown).rstrip(" .!?")
        return re.split(r"[.!?]\s|\n|\]", text)[-1]

    def _rewrite(self, candidate: str) -> str:
        if not WRITTEN_MARKER.fullmatch(candidate):
            return candidate  # "[sic]", "[Reuters]": ordinary brackets
        valid = []
        for number in marker_numbers(candidate):
            if not 1 <= number <= self._n_sources:
                self.invalid += 1
                continue
            if self._matcher is not None:
                better = self._matcher.best_source(self._claim(), number)
                if better != number:
                    self.corrected += 1
                    number = better
            valid.append(number)
            if number not in self.cited:
                self.cited.append(number)
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))


def supporting_sentence(
    claim: str, source: EvidenceSource, question: str = ""
) -> tuple[EvidenceSentence, bool]:
    """The sentence of `source` that best supports `claim`, and whether it holds all the claim's key words.

    Sentences holding more of the claim's names and values (values count double) come first, then those
    sharing more words.
    """
    claim_words = content_words(claim)
    wanted = key_words(claim, question)

    def strength(sentence: EvidenceSentence) -> tuple[float, int]:
        held = wanted & stated_words(sentence.text)
        return _weighted(held), len(claim_words & content_words(sentence.text))

    best = max(source.sentences, key=strength)
    return best, wanted <= stated_words(best.text)


def claims_citing(answer: str, n: int) -> str:
    """The sentences of the answer that carry marker [n] (a marker after a full stop: the one before it)."""
    claims = sentences(_MARKERS_AFTER_STOP.sub(r"\2\1", answer))
    return " ".join(s for s in claims if f"[{n}]" in s) or answer


def build_citations(
    answer: str, cited: Sequence[int], sources: Sequence[EvidenceSource], question: str = ""
) -> tuple[Citation, ...]:
    """One Citation per cited source number, each with the sentence that supports its claims."""
    citations = []
    for n in cited:
        source = sources[n - 1]
        quote, supported = supporting_sentence(claims_citing(answer, n), source, question)
        article = source.article
        citations.append(
            Citation(
                n=n,
                article_id=article.id,
                title=article.title,
                url=article.url,
                published=article.published,
                source=article.source,
                quote=quote.text,
                passage=quote.hit.chunk.text,
                chunk_id=quote.hit.chunk.id,
                quote_start=quote.start,
                quote_end=quote.end,
                supported=supported,
            )
        )
    return tuple(citations)


def checked_pieces(pieces: Iterable[str], citation_filter: CitationFilter) -> Generator[str, None, str]:
    """Stream the model's pieces through the citation check; return the whole checked answer."""
    parts: list[str] = []
    for piece in pieces:
        shown = citation_filter.feed(piece)
        if shown:
            parts.append(shown)
            yield shown
    tail = citation_filter.flush()
    if tail:
        parts.append(tail)
        yield tail
    return "".join(parts).strip()


def source_stating(answer: str, sources: Sequence[EvidenceSource], question: str) -> int | None:
    """The first source with a sentence holding every name and number of `answer` (None: none, or the
    answer has no names or numbers to look for)."""
    if not key_words(answer, question):
        return None
    matcher = SourceMatcher(sources, question)
    return next((s.n for s in sources if matcher.states(answer, s.n)), None)
