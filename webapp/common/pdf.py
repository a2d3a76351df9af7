"""HTML to PDF with WeasyPrint, as a download that no shared phone keeps.

Nothing is fetched while rendering: the stylesheets are read from our own files and images must be inline
(`data:` URIs), so no page can make the server request another address (no SSRF through a PDF).
"""
from __future__ import annotations

from pathlib import Path

from flask import Response

STYLESHEETS = Path(__file__).resolve().parent.parent.parent / "static" / "css"
PDF_LIMIT = "30 per minute"  # per person: laying out a PDF takes the server about a second


def html_to_pdf(html: str, *stylesheets: str) -> bytes:
    """`html` as a PDF, styled with the named files of static/css (print.css, say)."""
    # Imported here, not at the top: WeasyPrint loads Pango and its fonts (most of a second), which every
    # process (web, worker, command line) would otherwise pay at start for a rare download.
    import weasyprint
    from weasyprint.urls import URLFetcher

    styles = [weasyprint.CSS(string=(STYLESHEETS / name).read_text(encoding="utf-8")) for name in stylesheets]
    document = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",)))
    return document.write_pdf(stylesheets=styles)


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF download; `no-store`, since it may carry a confidential incident."""
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
