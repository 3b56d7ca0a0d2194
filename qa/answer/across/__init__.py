"""Questions across articles (issue 22): what the question asks (`question`), each side's evidence
(`sides`), the two reports of one figure (`reports`), the figures (`values`), the composed and cited
answer (`answer`) and its stream (`stream`)."""
