"""PDF files: the text of all pages is one article; the title comes from the document info."""

from __future__ import annotations

import io
import re
from pathlib import Path

from qa.documents import RawArticle, Rejected
from qa.loaders.base import LoadResult, clean_str, quiet_library_logs


def load_pdf(path: Path, data: bytes) -> LoadResult:
    """A PDF: the text of all pages (one article per file); title from the document info."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    pages: list[str] = []
    try:
        with quiet_library_logs("pypdf"):
            reader = PdfReader(io.BytesIO(data))
            # Many PDFs are "encrypted" with an empty user password only to restrict printing.
            readable = not reader.is_encrypted or bool(reader.decrypt(""))
            if readable:
                pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        yield Rejected(str(path), f"corrupt or unreadable PDF: {err}")
        return
    if not readable:
        yield Rejected(str(path), "encrypted PDF (needs a password)")
        return
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        yield Rejected(str(path), "PDF has no extractable text (scanned images need OCR first)")
        return
    yield RawArticle(text=text, origin=str(path), title=_document_title(reader))


def _document_title(reader: object) -> str | None:
    """The title in the document info, without Office's "Microsoft Word - " prefix."""
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
        title = clean_str(meta.title) if meta is not None else None
    except Exception:  # broken info dictionaries are common; the text is what matters
        return None
    if title:
        # Word's PDF export names the document after the file; that is not a headline.
        title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title).strip() or None
    return title
