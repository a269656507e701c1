"""Reading reports back in tests: HTML tables, CSV blocks, and PDF pages as text and
images (poppler's ``pdftotext`` and ``pdftoppm``)."""

from __future__ import annotations

import csv
import io
import subprocess
from html.parser import HTMLParser
from pathlib import Path


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.figures: list[str] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.title = ""
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("data-table") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_h1:
            self.title += data


def html_tables(text: str) -> tuple[str, dict[str, list[list[str]]]]:
    """The page's title and each table by its ``data-table`` name (header row first)."""
    parser = _Tables()
    parser.feed(text)
    return parser.title.strip(), parser.tables


def csv_blocks(text: str) -> dict[str, list[list[str]]]:
    """Each ``[name]`` block of a report's CSV: header row first."""
    blocks: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            current = None
        elif current is None and len(row) == 1 and row[0].startswith("["):
            current = blocks.setdefault(row[0].strip("[]"), [])
        elif current is not None:
            current.append(row)
    return blocks


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def first_page_pixels(pdf: Path, out: Path) -> tuple[int, int, int]:
    """The first page rendered at 50 dpi (PPM): width, height and the pixels not white."""
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(out)], check=True, timeout=60)
    data = out.with_suffix(".ppm").read_bytes()
    fields, rest = data.split(b"\n", 3)[:3], data.split(b"\n", 3)[3]
    assert fields[0] == b"P6", fields
    width, height = (int(v) for v in fields[1].split())
    assert int(fields[2]) == 255
    pixels = rest[: width * height * 3]
    inked = sum(1 for i in range(0, len(pixels), 3) if min(pixels[i:i + 3]) < 200)
    return width, height, inked


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    return int(next(line.split()[-1] for line in info.splitlines()
                    if line.startswith("Pages:")))
