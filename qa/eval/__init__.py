"""Stage 7 (evaluation): scripted runs of `qa eval` on a question set, through the product's own facade.

Modules by job: `questions` (the question files), `scoring` (is an answer right), `metrics` (hit@k, MRR,
the summary), `bm25` (the keyword baseline), `corpus` (the index read back for scoring), `rundir` (run
directories and resuming), `runner` (one run), `report` (report.html), `compare` (two runs side by side),
`cli` (the `qa eval` options).
"""
