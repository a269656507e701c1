"""A report as HTML (Jinja, one template per kind), CSV (every table) and PDF (headless
Chromium printing the HTML, so the PDF is the HTML on A4 pages).

CSV layout: one block per table — a row ``[name]`` (the table's name in brackets), the
header row, the data rows — blocks separated by one empty row; cells as in the HTML
(``None`` is empty).

PDF needs ``playwright`` (the ``bongsu[reports]`` extra) and a Chromium: the
``BONGSU_REPORTS_CHROMIUM`` executable (Debian's ``chromium``), else playwright's own.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from bongsu import __version__
from bongsu.errors import BongsuError
from bongsu.reports.model import Cell, Report

_TEMPLATES = Path(__file__).parent / "templates"
# Chromium in a container: no sandbox (no user namespaces), no GPU.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
PDF_TIMEOUT_MS = 120_000


class PdfError(BongsuError):
    """The PDF could not be printed (no playwright, no Chromium, or it failed)."""


def _cell(value: Cell) -> str:
    return "" if value is None else str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["cell"] = _cell
    return env


_ENV = _environment()


def render_html(report: Report, generated_us: int | None = None) -> str:
    """The report as one self-contained HTML page (styles inline, no scripts)."""
    name = f"{report.kind}.html.j2"
    template = _ENV.get_template(name if (_TEMPLATES / name).exists() else "base.html.j2")
    at = generated_us if generated_us is not None else time.time_ns() // 1000
    generated = datetime.fromtimestamp(at / 1e6, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return template.render(report=report, version=__version__, generated=generated)


def render_csv(report: Report) -> str:
    """Every table of the report, one block each (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i, table in enumerate(report.tables):
        if i:
            writer.writerow([])
        writer.writerow([f"[{table.name}]"])
        writer.writerow(table.columns)
        writer.writerows([_cell(c) for c in row] for row in table.rows)
    return out.getvalue()


def render_pdf(html: str, chromium: str = "") -> bytes:
    """The HTML printed to PDF by headless Chromium (A4, backgrounds printed)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        raise PdfError("PDF needs playwright: pip install 'bongsu[reports]'") from error
    if chromium and not Path(chromium).exists():
        raise PdfError(f"BONGSU_REPORTS_CHROMIUM: {chromium} does not exist")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium or None, args=CHROMIUM_ARGS,
                                        timeout=PDF_TIMEOUT_MS)
            try:
                page = browser.new_page()
                page.set_content(html, wait_until="load", timeout=PDF_TIMEOUT_MS)
                return page.pdf(format="A4", print_background=True,
                                margin={"top": "14mm", "bottom": "14mm",
                                        "left": "12mm", "right": "12mm"})
            finally:
                browser.close()
    except Error as error:
        raise PdfError(f"Chromium could not print the report: {error.message}") from error


__all__ = ["PdfError", "render_csv", "render_html", "render_pdf"]
