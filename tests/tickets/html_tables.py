"""Reading a rendered dashboard page as a reader does: each panel's table rows (the text of each
cell and the link behind it), its empty-state text and whether a chart is drawn."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit


@dataclass
class Panel:
    slug: str
    title: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[tuple[str, str | None]]] = field(default_factory=list)
    text: str = ""  # every text in the panel, for the empty state and the note
    has_chart: bool = False

    def texts(self) -> list[list[str]]:
        return [[text for text, _href in row] for row in self.rows]

    def row(self, first: str) -> list[tuple[str, str | None]]:
        matches = [row for row in self.rows if row[0][0] == first]
        assert len(matches) == 1, f"{first!r} in {self.texts()}"
        return matches[0]

    def links(self) -> list[str]:
        return [href for row in self.rows for _text, href in row if href]


class _PanelParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.panels: dict[str, Panel] = {}
        self.panel: Panel | None = None
        self.depth = 0  # <section> nesting inside the current panel
        self.cell: list[str] | None = None
        self.href: str | None = None
        self.row: list[tuple[str, str | None]] | None = None
        self.in_head = False
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            if self.panel is not None:
                self.depth += 1
            elif (attrs.get("id") or "").startswith("panel-"):
                slug = attrs["id"].removeprefix("panel-")
                self.panel = self.panels[slug] = Panel(slug=slug)
                self.depth = 0
            return
        if self.panel is None:
            return
        if tag == "h2":
            self.in_title = True
        elif tag == "canvas":
            self.panel.has_chart = True
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and not self.in_head:
            self.row = []
        elif tag in ("th", "td"):
            self.cell, self.href = [], None
        elif tag == "a" and self.cell is not None:
            self.href = unescape(attrs.get("href") or "")

    def handle_endtag(self, tag):
        if self.panel is None:
            return
        if tag == "section":
            if self.depth:
                self.depth -= 1
            else:
                self.panel = None
            return
        if tag == "h2":
            self.in_title = False
        elif tag == "thead":
            self.in_head = False
        elif tag in ("th", "td") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            if self.in_head:
                self.panel.columns.append(text)
            elif self.row is not None:
                self.row.append((text, self.href))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.panel.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.panel is None:
            return
        self.panel.text += data
        if self.in_title:
            self.panel.title += data.strip()
        if self.cell is not None:
            self.cell.append(data)


def panels(html: str) -> dict[str, Panel]:
    parser = _PanelParser()
    parser.feed(html)
    for panel in parser.panels.values():
        panel.text = " ".join(panel.text.split())
    return parser.panels


def query_of(url: str) -> dict[str, str]:
    """A link's query string as a flat dict."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}
