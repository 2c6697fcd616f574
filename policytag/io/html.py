"""HTML pages: the article body only, one paragraph per block.

readability-lxml (the ``docs`` extra) finds the article and drops navigation, share
bars, related links, comment boxes and footers; the page's ``<h1>`` (or its
``<title>``, site name removed) is put back in front when the article left it out.
Block elements (p, div, h1–h6, li, td …) and ``<br>`` end paragraphs; inline ones
(strong, span, a) do not, so an inline heading ``<strong>(三)…。</strong>正文`` stays
one paragraph. Furniture that survives (bylines, 【打印本页】) is dropped later by
``labels/furniture.txt``, like in any text.

readability-lxml was chosen by measurement (bench/html_extractors.py): on 200
generated Chinese government pages in four layouts it found every body paragraph
with no chrome left after the furniture filter, where trafilatura found 71% (it drops
``<h3>`` headings and flattens table layouts) and jusText, which has no Chinese stop
list, 5%.
"""
from __future__ import annotations

import re
from typing import Optional

from ..extras import require

_BLOCKS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "td", "th", "tr", "table",
    "section", "article", "header", "footer", "blockquote", "pre", "dd", "dt", "dl", "center", "form",
    "figure", "figcaption", "caption", "address", "main", "aside", "nav", "hr",
}
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_TITLE_SEP = re.compile(r"\s*[_|\-–—－|｜]\s*")
# what lxml refuses in a string: an XML declaration, and characters XML does not allow
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def declared_charset(data: bytes) -> Optional[str]:
    """The charset a page declares in a ``<meta>`` tag within its first 4 KB, if any."""
    m = _CHARSET.search(data[:4096])
    return m.group(1).decode("ascii").lower() if m else None


def block_lines(fragment: object) -> list[str]:
    """Text of an lxml element, one line per block element or ``<br>``, whitespace collapsed."""
    import lxml.html

    tree = lxml.html.fromstring(fragment) if isinstance(fragment, (str, bytes)) else fragment
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    marks: list[str] = []

    def walk(el: object) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag.lower() in _BLOCKS
        if block:
            marks.append("\n")
        if tag.lower() == "br":
            marks.append("\n")
        if el.text and tag:
            marks.append(_SPACE.sub(" ", el.text))
        for child in el:
            walk(child)
        if block:
            marks.append("\n")
        if el.tail:
            marks.append(_SPACE.sub(" ", el.tail))

    walk(tree)
    return [line.strip() for line in "".join(marks).split("\n") if line.strip()]


def _page_title(tree: object, fallback: str) -> str:
    h1 = tree.xpath("//h1")
    if h1:
        title = _SPACE.sub(" ", h1[0].text_content()).strip()
        if title:
            return title
    # <title> is often "Article title_Site name": keep the longest part
    parts = [p for p in _TITLE_SEP.split(fallback or "") if p.strip()]
    return max(parts, key=len).strip() if parts else ""


def html_paragraphs(text: str) -> list[str]:
    """The paragraphs of an article page (navigation, comments, footer left out)."""
    require("readability", "HTML")
    import lxml.html
    from readability import Document

    text = _NOT_XML.sub("", _XML_DECL.sub("", text))
    if not text.strip():
        return []
    doc = Document(text)
    summary = doc.summary(html_partial=True)
    lines = block_lines(summary) if summary.strip() else []
    title = _page_title(lxml.html.fromstring(text), doc.title())
    if title and title not in lines[:10]:
        lines.insert(0, title)
    return lines
