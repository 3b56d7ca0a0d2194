"""BM25 as it is run here, once: the library, its variant and parameters, building a model, and the
same scores computed from raw term counts.

The keyword side of retrieval (`qa.store.keyword`) and the evaluation's plain baseline (`qa.eval.bm25`)
both score with this, so the baseline measures the same BM25 the product searches with. The baseline
builds a bm25s model (`build_bm25`); the keyword index keeps raw term counts so that a small write does
not rebuild every document's weights, and scores a query's terms with `lucene_idf` and
`lucene_term_scores`, which give bm25s's Lucene scores to the bit (a test compares them).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# What a run records: bm25s's Lucene variant with Lucene's defaults.
BM25_PARAMETERS: dict[str, Any] = {"library": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75}


def build_bm25(corpus: list[list[str]]) -> Any:
    """A bm25s model with `BM25_PARAMETERS`, indexed over `corpus` (one token list per document)."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    parameters = {key: value for key, value in BM25_PARAMETERS.items() if key != "library"}
    model = bm25s.BM25(**parameters)
    model.index(corpus, show_progress=False)
    return model


def lucene_idf(document_frequency: int, documents: int) -> np.float32:
    """A term's idf as bm25s's Lucene variant computes and stores it (float32)."""
    return np.float32(math.log(1 + (documents - document_frequency + 0.5) / (document_frequency + 0.5)))


def length_norms(lengths: np.ndarray, average_length: float) -> np.ndarray:
    """Per document, the part of the term-frequency denominator set by its length: k1 (1 - b + b dl/avgdl)."""
    k1, b = BM25_PARAMETERS["k1"], BM25_PARAMETERS["b"]
    return k1 * ((1 - b) + b * lengths.astype(np.float64) / np.float64(average_length))


def lucene_term_scores(idf: np.float32, frequencies: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """One term's score in each document holding it: idf tf / (tf + norm), as bm25s stores it (float32).

    bm25s's Lucene variant leaves out the constant (k1 + 1) factor (it changes no ranking); so does this,
    so the scores equal a bm25s model's over the same words.
    """
    tf = frequencies.astype(np.float32, copy=False)
    weights = norms + tf  # float64, as in bm25s; the steps below reuse it (fewer passes over memory)
    np.divide(tf, weights, out=weights)
    weights *= idf
    return weights.astype(np.float32)
