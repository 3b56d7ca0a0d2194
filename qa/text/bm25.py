"""BM25 as it is run here, once: the library, its variant and parameters, and building a model.

The keyword side of retrieval (`qa.store.keyword`) and the evaluation's plain baseline (`qa.eval.bm25`)
both score with this, so the baseline measures the same BM25 the product searches with.
"""

from __future__ import annotations

from typing import Any

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
