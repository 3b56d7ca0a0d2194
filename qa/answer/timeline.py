"""How a story developed: dated steps from the retrieved articles, oldest first, each cited (issue 22).

Extractive by design: every step is a sentence an article states, so its quote is the step itself and no
step exists without a sentence that states it; the model is not asked (the 1.5B model picks the first
sentence it is offered, and ordering, dating and merging are what code can check). A step is dated by
the day its sentence states ("on Jan. 3", "on Monday", "yesterday", read against the article's date),
else by its article's date, and says which. Wire copies and follow-ups that tell the same step on the
same day or the next are one step citing every outlet.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta

from qa.answer.judgment import coverage_of, question_names, question_words, word_weights
from qa.answer.step_days import REPORTING, WEEKDAYS, names_a_day, names_an_earlier_year, step_day
from qa.documents import DateRange, ScoredChunk
from qa.results.timeline import Silence, StepSource, Timeline, TimelineStep
from qa.text.dates import parse_date
from qa.text.sentences import narrated, sentences, without_dateline
from qa.text.words import keyword_tokens
from qa.text.written_dates import MONTH_NAMES

TIMELINE_CHUNKS = 40  # passages searched to find the story's articles (at most two per article)
TIMELINE_ARTICLES = 12  # the story's articles read whole, best first
LEAD_SENTENCES = 2  # sentences of an article's lead that are steps without a day of their own
MIN_COVERAGE = 0.5  # share of the topic's (rarity-weighted) words a story's article holds
SAME_STEP_OVERLAP = 0.6  # share of the shorter sentence's event words two sentences of one step share
SAME_STEP_SHARED = 3  # the fewest words of an event two sentences of one step share
SILENCE_DAYS = 3  # a longer run of days without an article of the story is said
# A live page reports a day or two past its date; a day stated later than that is a deadline or a date set
# ("a Jan. 1, 2027, deadline", "delayed the nominations to Jan. 23"), not a step (the gold set: 3 of its 549
# events are two days past their articles' dates, 2 more further, and 17 one day past).
LATEST_DAYS = 2
# Words that ask for a timeline rather than name the story.
_ASKING = frozenset(
    """story develop developed developing development developments happen happened happening timeline
    catch caught up unfold unfolded evolve evolved progress news update updates since until""".split()
)
# Not steps: photo captions ("Joseph Cress/Iowa City Press Citizen/AP Snow covers …"), links and notes
# of the page ("Read more: …", "Editor's note: …", "Contributing: …"), linked headlines, and questions
# ("Did anyone win Mega Millions last night?": the page asks, nothing happened).
_NOT_A_STEP = re.compile(
    r"\b[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+)+/[A-Z]"
    r"|^(?:read more|related|editor'?’?s note|watch|subscribe|sign up|click here|photos?|contributing)\b"
    r"|(?-i:[A-Za-z0-9]:[A-Z])"  # a linked headline set in the text: "Microsoft:Company to lay off 10,000"
    r"|\?[\"”’']?$"
    # A picture's credit or pose ("John Waller via AP A man tries …", "NOAA/NASA The streets of Naples …",
    # "Pelé poses with the World Cup trophy …"), a picture told ("A NASA satellite photo of the hurricane …
    # on September 11, 2001": the picture's day), and the page asking for subscribers.
    r"|\bvia (?:AP|Reuters|AFP|Getty Images)\b|/Getty Images\b|(?-i:\b[A-Z]{2,}/[A-Z]{2,} [A-Z])"
    r"|\bposes with\b"
    # Who stands where in a picture ("Kylian Mbappe (R) and Pele take part in a meeting … on April 2, 2019").
    r"|(?-i:\((?:\d(?:st|nd|rd|th) )?[LRC]\))|\((?:far )?(?:left|right|center|centre)\)"
    r"|^(?:an? |the )?(?:[\w'’-]+ ){0,3}(?:photo(?:graph)?|image|picture)s? (?:of|shows?|showed)\b"
    # A calendar's row ("February 20 - Austin Cindric wins the 64th Annual Daytona 500."): the gold set leaves
    # out tables and lists, and a year's calendar is no story's step.
    r"|^(?:" + "|".join(MONTH_NAMES) + r")\s+\d{1,2}(?:\s*-\s*(?:[A-Z][a-z]+\s+)?\d{1,2})?\s+[-–—]\s"
    r"|\bbecome an? (?:[\w.]+ ){0,3}subscriber\b|\b(?:sign up|subscribe) (?:for|to) (?:the|our)\b"
    # The page pointing elsewhere or at itself ("For the latest news …, read USA TODAY's coverage for July
    # 12.", "Here's what to know about Trump's trip.", "WINTER STORM LIVE UPDATES: …", "… in this photo"), and
    # its own asking ("USA TODAY has reached out to Kimmel's representatives for comment.").
    r"|^for the latest\b|\b(?:read|visit|view|see) (?:our|usa today['’]s|the) (?:coverage|story|live)\b"
    r"|^live(?: updates?| blog)?\s*:|^here['’]?s (?:what|how|why|a look)\b|(?-i:^[A-Z][A-Z'’ ]{3,}:)"
    r"|\bin this (?:photo|picture|image)\b"
    r"|\breached out to\b.*\bfor comment\b",
    re.IGNORECASE,
)
# The page speaking to its reader ("so let's get to Tuesday's news", "here's what you need to know"), in its
# own words: a quotation may say "you" ("the country has your back," Narduzzi tweeted on Tuesday).
_TO_THE_READER = re.compile(r"\b(?:you|your|yours|let['’]s)\b", re.IGNORECASE)
# Words of a period in a question, not of its story: "in late 2022 and early 2023", "in mid-July".
_PART_OF_PERIOD = re.compile(
    r"\b(?:late|early|mid|end of|start of|beginning of)[\s-]+(?=(?:19|20)\d\d\b|(?:"
    + "|".join(MONTH_NAMES)
    + r")\b)",
    re.IGNORECASE,
)
# Further down than its lead, an article's sentence with no day of its own is a step when it reports what
# someone said or did about the story ("Italian Prime Minister Giorgia Meloni hailed Benedict as …"): the
# reactions and statements a story gathers. Such a sentence whose subject is a named speaker need not name
# the story ("British Prime Minister Rishi Sunak also paid tribute."): its article does.
_REPORTED = re.compile(rf"\b(?:{REPORTING}|paid tribute)\b")
_NAMED_SPEAKER = re.compile(
    r"^(?:[A-Z][\w.'’-]*\s+|(?:of|the|and|for|new|former|also|opposition|leader|chief|minister|president)\s+)"
    rf"{{1,8}}(?:{REPORTING}|paid)\b"
)
# A quotation (what someone said) is a step only where the sentence says the day it was said.
_QUOTATION = re.compile(r"^[\"“‘']")
# A sentence that expects, plans or forecasts something for a later day is no step (this wider list only
# decides that: dating a weekday forward on it, "would" and "may" included, lost 2023 event recall).
_MAIN_CLAUSE = re.compile(r"\bthat\b")  # where a reported clause starts
_FORECAST = re.compile(
    r"\b(will|would|could|may|might|expects?|expected|forecasts?|forecasted|forecasters|predicted|likely|"
    r"poised|is set to|are set to|scheduled|plans? to|is due|are due|due to)\b",
    re.I,
)


# Questions that ask how a story developed rather than for one fact: the chat answers them with a timeline.
_DEVELOPED = r"(?:develop|unfold|evolve|progress)(?:ed|ing)?|play(?:ed)? out"
_ASKS_TIMELINE = re.compile(
    rf"^\W*(?:how (?:did|has|have|is|are) .+ (?:{_DEVELOPED})\b|catch me up\b"
    r"|(?:give me |show me )?(?:a |the )?timeline\b|walk me through\b"
    r"|what (?:has )?happened (?:with|to|in) .+ (?:since|over|so far|this (?:week|month))\b)",
    re.IGNORECASE,
)


def asks_for_timeline(question: str) -> bool:
    """Does `question` ask how a story developed ("How did the X story develop?", "Catch me up on Y")?"""
    return bool(_ASKS_TIMELINE.search(question))


def topic_words(topic: str) -> list[str]:
    """The words that name the story: the question's content words without those asking for a timeline."""
    return [w for w in question_words(_PART_OF_PERIOD.sub(" ", topic)) if w not in _ASKING]


def _topic_names(topic: str) -> set[str]:
    """The names the story is asked by ("TikTok", "Damar Hamlin"), without the words of its period."""
    return {w for w in question_names(_PART_OF_PERIOD.sub(" ", topic)) if w not in _ASKING}


def build_timeline(
    topic: str,
    hits: Sequence[ScoredChunk],
    *,
    since: date | None = None,
    until: date | None = None,
    story: Collection[str] | None = None,
) -> Timeline:
    """The timeline of `topic` from `hits`, the chunks of the articles found for it (whole articles, in
    order), kept to the days from `since` to `until` when given; `story`: the articles known to tell it
    (a grouped story), read without asking whether they name the topic.

    Every sentence of a story's article that states a day is a step, unless it plans or forecasts for a
    later day; a sentence that states none is one, dated by its article, when it names the story in the
    article's lead, or further down when it reports what someone said or did."""
    asked = topic_words(topic)
    candidates = _candidate_sentences(hits)
    words = [set(keyword_tokens(text)) for _, text in candidates]
    # A word of the topic no article uses ("repairs" of a story told as "cable work") says nothing of which
    # article is of the story: only the words found weigh, each by its rarity.
    found = set().union(*words)
    weights = {w: v for w, v in word_weights(asked, [words]).items() if w in found}
    of_story = set(story) if story is not None else _story_articles(topic, candidates, weights)
    period = DateRange(since, until)
    steps: list[TimelineStep] = []
    leads: dict[str, int] = {}
    for hit, text in candidates:
        published = parse_date(hit.article.published)
        dated = step_day(text, published)
        if hit.article.id not in of_story or dated is None or not period.includes(dated[0]):
            continue
        day, source = dated
        later = day > published if source == "text" and published is not None else names_a_day(text)
        # A plan, for a later day or by a bound ("expects by Monday"), is no step: its report is. What a
        # "that" clause reports is said, not planned ("The Vatican confirmed Monday that his tomb will be …").
        if later and _FORECAST.search(_MAIN_CLAUSE.split(text, maxsplit=1)[0]):
            continue
        if source == "text" and published is not None and day > published + timedelta(days=LATEST_DAYS):
            continue  # a deadline or a date set, not what happened
        if source == "published" and _QUOTATION.match(text):
            continue  # what someone said is a step only when the sentence says the day it was said
        if source == "published" and published is not None and names_an_earlier_year(text, published):
            continue  # background known only by its year ("the last notice, in 2019, lasted six days")
        if source == "published" and not names_a_day(text):
            # A sentence with no day of its own is a step only when it names the story, and only in the
            # article's lead or when it reports what someone said or did: the rest is background.
            past_lead, reported = leads.get(hit.article.id, 0) >= LEAD_SENTENCES, _REPORTED.search(text)
            named = coverage_of(set(keyword_tokens(text)), weights) > 0
            if past_lead and reported and _NAMED_SPEAKER.match(text):
                named = True
            if not named or (past_lead and not reported):
                continue
            leads[hit.article.id] = leads.get(hit.article.id, 0) + 1
        # The step reads without its report's dateline; its quote keeps the sentence as the article has it.
        steps.append(TimelineStep(day, source, without_dateline(text), (_source(hit, text),)))
    merged = _merge(sorted(steps, key=lambda s: (s.day, s.citations[0].published or "")), set(asked))
    articles = {c.article_id: c.published for s in merged for c in s.citations}
    silences = _silences(sorted({d for p in articles.values() if (d := parse_date(p)) is not None}))
    said = None if merged else _nothing_said(topic, since, until)
    return Timeline(topic, tuple(merged), tuple(silences), len(articles), since, until, said)


def _story_articles(
    topic: str, candidates: Sequence[tuple[ScoredChunk, str]], weights: Mapping[str, float]
) -> set[str]:
    """The found articles that tell the story: their sentences together name it, or they hold every name
    the story is asked by (the words' rarity is counted in the story's own sentences, where its main name
    is common)."""
    # One sentence then needs one of the story's words: follow-ups say "Hamlin" once "Damar Hamlin" is said.
    article_words: dict[str, set[str]] = {}
    for hit, text in candidates:
        article_words.setdefault(hit.article.id, set()).update(keyword_tokens(f"{hit.article.title} {text}"))
    names = _topic_names(topic)
    return {
        article
        for article, held in article_words.items()
        if (weights and coverage_of(held, weights) >= MIN_COVERAGE) or (names and names <= held)
    }


def _candidate_sentences(hits: Sequence[ScoredChunk]) -> list[tuple[ScoredChunk, str]]:
    """Every sentence of the retrieved chunks, once, with the chunk it comes from (headlines left out)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for hit in hits:
        for text in sentences(hit.chunk.text):
            text = " ".join(text.split())
            key = (hit.article.id, text)
            if key in seen or text == hit.article.title or len(text) < 20 or _NOT_A_STEP.search(text):
                continue
            if _TO_THE_READER.search(narrated(text)):
                continue
            seen.add(key)
            out.append((hit, text))
    return out


def _source(hit: ScoredChunk, quote: str) -> StepSource:
    article = hit.article
    return StepSource(article.id, article.title, article.published, quote, article.url, article.source)


def _merge(steps: Sequence[TimelineStep], story_words: Collection[str]) -> list[TimelineStep]:
    """One step per event: a sentence telling a step already listed (a day apart at most) adds its source.

    The words that name the story (`story_words`) are in most of its sentences, so they do not say two
    sentences tell one event: "The cash option is $487.9 million." is not the night's winning numbers."""
    merged: list[TimelineStep] = []
    merged_words: list[set[str]] = []  # each merged step's event words, read once
    for step in steps:
        words = _event_words(step.text, story_words)
        for i, earlier in enumerate(merged):
            near = abs((step.day - earlier.day).days) <= 1
            if not near or not _same_event(words, merged_words[i]):
                continue
            cited = {c.article_id for c in earlier.citations}
            new = tuple(c for c in step.citations if c.article_id not in cited)
            # The step stated by the text outranks one dated only by its article: keep the stated day.
            keep = earlier if earlier.date_source == "text" or step.date_source != "text" else step
            merged[i] = TimelineStep(keep.day, keep.date_source, keep.text, earlier.citations + new)
            if keep is step:
                merged_words[i] = words
            break
        else:
            merged.append(step)
            merged_words.append(words)
    return sorted(merged, key=lambda s: s.day)


# Words that say when, which the merge compares apart (the steps' days): "The drawing is at 11 p.m. ET on
# Tuesday" shares them with the night's winning numbers, and is not that step.
_WHEN_WORDS = frozenset(
    [*WEEKDAYS, *(m.lower() for m in MONTH_NAMES), *(m.lower()[:3] for m in MONTH_NAMES)]
    + """sept p m a et pt gmt bst today tonight yesterday morning afternoon evening night noon midnight
    earlier later last""".split()
)


def _event_words(text: str, story_words: Collection[str]) -> set[str]:
    return set(keyword_tokens(text)).difference(story_words, _WHEN_WORDS)


def _same_event(a: set[str], b: set[str]) -> bool:
    # Of the shorter sentence: a wire copy cut short, or a follow-up's longer retelling, is the same step.
    # Three words at least: "Erin formed into a hurricane from a tropical storm" is not every sentence that
    # says "tropical storm".
    shared = len(a & b)
    return shared >= SAME_STEP_SHARED and shared / min(len(a), len(b)) >= SAME_STEP_OVERLAP


def _silences(days: Sequence[date]) -> list[Silence]:
    """The runs of more than SILENCE_DAYS days between two of the story's article dates."""
    return [
        Silence(before + timedelta(days=1), after - timedelta(days=1))
        for before, after in zip(days, days[1:], strict=False)
        if (after - before).days > SILENCE_DAYS + 1
    ]


def _nothing_said(topic: str, since: date | None, until: date | None) -> str:
    when = ""
    if since and until:
        when = f" between {since.isoformat()} and {until.isoformat()}"
    elif since:
        when = f" since {since.isoformat()}"
    elif until:
        when = f" until {until.isoformat()}"
    return f"No indexed article tells of “{topic}”{when}."
