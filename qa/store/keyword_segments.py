"""The keyword index's BM25 data in segments: raw term counts, so a write costs what it writes.

BM25 weights depend on every document (idf from document frequencies, the average length), so a
precomputed bm25s matrix must be rebuilt whole after any write. Instead each segment keeps raw term
frequencies (a sparse documents × terms matrix) and document lengths, and a query is scored for its
own terms only (`qa.text.bm25`): document frequencies are counted from the term's postings of the
documents still alive, and N and the average length from those documents, exactly as a rebuild
over the same words would see them. A big saved base segment holds most documents; each catch-up
with the SQLite words adds a small segment for the chunks written since, and masks out the removed
ones. When the recent segments and removed documents pass a tenth of the base, all are merged (in
memory, from the counts: nothing is tokenized again) into a new base, which is saved for other
processes. A `Segments` is never changed once made, so a search scores one outside the index's lock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from qa.files import directory_atomically
from qa.store.term_weights import TermWeights, WeightCache, assembled
from qa.text.bm25 import length_norms, lucene_idf, lucene_term_scores

# Merge when the recent segments and the removed documents pass this share of the base.
_MERGE_SHARE = 0.1
# ... or when this many segments have piled up (many small ingests), each a loop step per query term.
_MOST_SEGMENTS = 32
_STATE = "state.json"  # written last: names the file (and its writes) the saved base was taken from


@dataclass(frozen=True)
class Segment:
    """Chunks written together: their raw term counts and what a hit reports."""

    counts: Any  # scipy.sparse.csc_matrix, documents × terms, float32 term frequencies
    lengths: np.ndarray  # words per document (int32)
    seqs: np.ndarray  # the chunks' write sequence numbers, increasing (int64)
    ids: list[str]
    days: np.ndarray  # publication day as YYYYMMDD, NaN when undated

    def __len__(self) -> int:
        return len(self.ids)


def count_terms(rows: Sequence[tuple[int, str, int | None, str]], vocabulary: dict[str, int]) -> Segment:
    """A segment of chunk rows (seq, chunk id, day, space-joined words); new terms join `vocabulary`."""
    lengths = np.zeros(len(rows), dtype=np.int32)
    terms: list[int] = []
    for i, (_, _, _, words) in enumerate(rows):
        split = words.split()
        lengths[i] = len(split)
        terms.extend([vocabulary.setdefault(word, len(vocabulary)) for word in split])
    documents = np.repeat(np.arange(len(rows), dtype=np.int32), lengths)
    # Repeated (document, term) pairs are summed on conversion: the entries become term frequencies.
    counts = scipy.sparse.csc_matrix(
        (np.ones(len(terms), dtype=np.float32), (documents, np.asarray(terms, dtype=np.int32))),
        shape=(len(rows), len(vocabulary)),
    )
    return Segment(
        counts=counts,
        lengths=lengths,
        seqs=np.array([row[0] for row in rows], dtype=np.int64),
        ids=[row[1] for row in rows],
        days=np.array([np.nan if row[2] is None else row[2] for row in rows], dtype=float),
    )


class Segments:
    """A base segment, recent ones and which documents are alive: BM25 scores for any query's words."""

    def __init__(
        self,
        file: int,
        parts: Sequence[Segment],
        vocabulary: dict[str, int],
        alive: np.ndarray | None = None,
        seq: int = 0,
        removed_at: int = 0,
    ) -> None:
        self.file, self.seq, self.removed_at = file, seq, removed_at  # what of the SQLite words it holds
        self.parts = tuple(parts)
        self.vocabulary = vocabulary  # only ever grows: shared by successive Segments of one file
        self.offsets = np.cumsum([0] + [len(p) for p in self.parts])
        self.alive = np.ones(int(self.offsets[-1]), dtype=bool) if alive is None else alive
        self.seqs = np.concatenate([p.seqs for p in self.parts] or [np.zeros(0, dtype=np.int64)])
        self.days = np.concatenate([p.days for p in self.parts] or [np.zeros(0)])
        self.ids = [chunk_id for part in self.parts for chunk_id in part.ids]
        self.documents = int(self.alive.sum())
        self._dead = len(self.alive) - self.documents
        self._dead_in = [
            len(p) - int(self.alive[s : s + len(p)].sum())
            for p, s in zip(self.parts, self.offsets, strict=False)
        ]
        self.weights = WeightCache()  # its weights hold for these documents only: never shared
        lengths = np.concatenate([p.lengths for p in self.parts] or [np.zeros(0, dtype=np.int32)])
        total = int(lengths[self.alive].sum(dtype=np.int64))
        self.norms = length_norms(lengths, total / self.documents) if self.documents else lengths

    @classmethod
    def empty(cls, file: int) -> Segments:
        """No documents yet, for the SQLite file with this id: an empty base, so the first writes merge."""
        vocabulary: dict[str, int] = {}
        return cls(file, [count_terms([], vocabulary)], vocabulary)

    def updated(
        self, removed: Sequence[int], removed_at: int, added: Sequence[Segment], seq: int
    ) -> Segments:
        """These segments with the chunks of `removed` sequence numbers masked out and `added` appended."""
        alive = self.alive.copy()
        if len(removed):
            wanted = np.asarray(removed, dtype=np.int64)
            at = np.searchsorted(self.seqs, wanted)
            found = at < len(self.seqs)
            found[found] = self.seqs[at[found]] == wanted[found]  # written and removed since: never held
            alive[at[found]] = False
        alive = np.concatenate([alive, *[np.ones(len(s), dtype=bool) for s in added]])
        return Segments(self.file, [*self.parts, *added], self.vocabulary, alive, seq, removed_at)

    def needs_merge(self) -> bool:
        """True when recent segments and removed documents are worth folding into a new base."""
        if len(self.parts) == 1 and not self._dead:
            return False
        recent = len(self.alive) - len(self.parts[0]) + self._dead
        return recent > _MERGE_SHARE * len(self.parts[0]) or len(self.parts) > _MOST_SEGMENTS

    def merged(self) -> Segments:
        """One base segment of the alive documents, built from the counts (nothing is tokenized again)."""
        width = len(self.vocabulary)
        kept, counts = [], []
        for part, start in zip(self.parts, self.offsets, strict=False):
            keep = np.flatnonzero(self.alive[start : start + len(part)])
            kept.append((part, keep))
            counts.append(_widened(part.counts[keep] if len(keep) < len(part) else part.counts, width))
        base = Segment(
            counts=scipy.sparse.vstack(counts, format="csc", dtype=np.float32),
            lengths=np.concatenate([part.lengths[keep] for part, keep in kept]),
            seqs=np.concatenate([part.seqs[keep] for part, keep in kept]),
            ids=[part.ids[i] for part, keep in kept for i in keep.tolist()],
            days=np.concatenate([part.days[keep] for part, keep in kept]),
        )
        return Segments(self.file, [base], self.vocabulary, None, self.seq, self.removed_at)

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """Each document's BM25 score for the query `words` (repeats count again, as in bm25s); 0 if dead."""
        scores = np.zeros(len(self.alive), dtype=np.float32)
        for word in words:
            term = self.vocabulary.get(word)
            if term is None:
                continue
            weights = self.weights.get(term)
            if weights is None:
                weights = self._term_weights(term)
                self.weights.put(term, weights)
            weights.add_to(scores)  # word by word, as bm25s sums: the same float32 additions
        return scores

    def _term_weights(self, term: int) -> TermWeights:
        """The term's weight in each alive document holding it, computed from its postings."""
        postings = []
        for part, start, dead in zip(self.parts, self.offsets, self._dead_in, strict=False):
            if term >= part.counts.shape[1]:
                continue  # a term first written after this segment was
            begin, end = part.counts.indptr[term], part.counts.indptr[term + 1]
            rows, frequencies = part.counts.indices[begin:end], part.counts.data[begin:end]  # no copies
            if dead:
                keep = self.alive[start : start + len(part)][rows]
                rows, frequencies = rows[keep], frequencies[keep]
            postings.append((int(start), rows, frequencies))
        idf = lucene_idf(sum(len(rows) for _, rows, _ in postings), self.documents)
        return assembled(
            [
                (start, rows, lucene_term_scores(idf, frequencies, self.norms[start:][rows]))
                for start, rows, frequencies in postings
                if len(rows)
            ],
            len(self.alive),
        )

    def nbytes(self) -> int:
        """Bytes of the arrays a search reads: counts, lengths, norms, sequence numbers, days, alive."""
        matrices = sum(
            p.counts.data.nbytes + p.counts.indices.nbytes + p.counts.indptr.nbytes for p in self.parts
        )
        vectors = (self.alive, self.seqs, self.days, self.norms, *[p.lengths for p in self.parts])
        return int(matrices + sum(v.nbytes for v in vectors))

    def save(self, directory: Path) -> None:
        """Write a merged (single-segment) base under `directory`, atomically."""
        (base,) = self.parts
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        with directory_atomically(directory) as staging:
            for name in ("data", "indices", "indptr"):
                np.save(staging / f"counts-{name}.npy", getattr(base.counts, name))
            for name in ("lengths", "seqs", "days"):
                np.save(staging / f"{name}.npy", getattr(base, name))
            (staging / "vocabulary.txt").write_text("\n".join(terms), encoding="utf-8")
            (staging / "ids.json").write_text(json.dumps(base.ids), encoding="utf-8")
            state = {"file": self.file, "seq": self.seq, "removed_at": self.removed_at}
            (staging / _STATE).write_text(json.dumps(state), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, file: int) -> Segments | None:
        """The base saved under `directory` for the SQLite file `file`; None if there is none."""
        try:
            state = json.loads((directory / _STATE).read_text(encoding="utf-8"))
            if state["file"] != file:
                return None  # saved for an earlier file at this path, or before a reset
            text = (directory / "vocabulary.txt").read_text(encoding="utf-8")
            vocabulary = {term: i for i, term in enumerate(text.split("\n") if text else [])}
            ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
            data, indices, indptr = (
                np.load(directory / f"counts-{n}.npy") for n in ("data", "indices", "indptr")
            )
            lengths, seqs, days = (np.load(directory / f"{n}.npy") for n in ("lengths", "seqs", "days"))
        except (OSError, ValueError, KeyError, EOFError):  # none yet, or from an older version
            return None
        counts = scipy.sparse.csc_matrix((data, indices, indptr), shape=(len(ids), len(vocabulary)))
        base = Segment(counts, lengths, seqs, ids, days)
        return cls(file, [base], vocabulary, None, int(state["seq"]), int(state["removed_at"]))


def _widened(counts: Any, width: int) -> Any:
    """`counts` with empty columns appended up to `width` terms (the arrays are shared, not copied)."""
    indptr = np.concatenate([counts.indptr, np.full(width - counts.shape[1], counts.indptr[-1])])
    return scipy.sparse.csc_matrix((counts.data, counts.indices, indptr), shape=(counts.shape[0], width))
