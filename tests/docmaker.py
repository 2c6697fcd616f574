"""Build test documents from paragraphs: an HTML page with site chrome, a .docx, a PDF.

The tests write their own text; these helpers only dress it the way real files
come: the page in navigation, share bar, related links, comment box and footer;
the Word file with a table; the PDF on A4 with a running header, a page-number
footer, justified lines that break mid-sentence and first-line indents.
``bench/`` uses the same builders on the corpus.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Optional, Sequence

NAV = ["首页", "新闻中心", "政务公开", "办事服务", "互动交流"]


def make_html(title: str, body: Sequence[str], *, encoding: str = "utf-8", strong_heads: bool = True) -> bytes:
    """A government-site article page: nav, breadcrumb, meta line, body, share/print tools,
    related links, a comment box with comments, copyright footer. Inline headings
    (``(三)标题。正文…``) get their title in ``<strong>``."""
    def para(p: str) -> str:
        if strong_heads and p.startswith(("（", "(")) and "。" in p[:30]:
            head, rest = p.split("。", 1)
            return f"<p><strong>{html.escape(head)}。</strong>{html.escape(rest)}</p>"
        if len(p) < 20 and not p.endswith("。"):
            return f"<h3>{html.escape(p)}</h3>"
        return f'<p style="text-indent:2em">\n    {html.escape(p)}\n</p>'

    nav = "".join(f'<li><a href="/c{i}/">{n}</a></li>' for i, n in enumerate(NAV))
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{encoding}"><title>{html.escape(title)}_某市人民政府门户网站</title>
<link rel="stylesheet" href="/s.css"></head>
<body>
<div class="top"><div class="logo">某市人民政府门户网站</div>
<ul class="nav">{nav}</ul><div class="user"><a href="/login">登录</a> | <a href="/reg">注册</a></div></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/gk/">政务公开</a> &gt; 工作动态</div>
<div class="main">
<h1 class="title">{html.escape(title)}</h1>
<div class="info">来源：某市生态环境局　发布时间：2024-03-18 10:20　浏览次数：1024</div>
<div class="article-content" id="zoom">
{"".join(para(p) for p in body)}
</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
<div class="tools"><a href="#">【打印本页】</a><a href="#">【关闭窗口】</a></div>
<div class="related"><h3>相关阅读</h3><ul>
<li><a href="/a/1.html">某市召开生态环境保护委员会全体会议</a><span>2024-03-01</span></li>
<li><a href="/a/2.html">全市秋冬季大气污染防治攻坚动员会召开</a><span>2024-02-20</span></li>
</ul></div>
<div class="comment" id="comments"><h3>网友评论</h3>
<div class="comment-item"><span class="user">网友3071</span><p>支持！希望继续加大治理力度，河边的味道小多了。</p></div>
<div class="comment-item"><span class="user">网友5520</span><p>建议公开更多空气质量监测数据。</p></div>
<form><textarea name="c"></textarea><button>发表评论</button></form><p>请登录后评论</p></div>
</div>
<div class="footer"><p>版权所有：某市人民政府办公室　主办：某市人民政府办公室</p>
<p>网站标识码：1234000001　某ICP备12345678号-1</p>
<p>本网转载的文章仅供参考，不代表本网观点。</p></div>
</body></html>
"""
    return page.encode(encoding)


def make_docx(path: Path, title: str, body: Sequence[str], table: Optional[Sequence[Sequence[str]]] = None,
              table_after: int = -1) -> None:
    """A Word file: the title, then the body paragraphs; ``table`` (rows of cells) goes in
    after body paragraph ``table_after`` (its cells are paragraphs too)."""
    import docx

    doc = docx.Document()
    doc.add_heading(title, level=1)
    for i, p in enumerate(body):
        doc.add_paragraph(p)
        if table and i == table_after:
            t = doc.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, cell in enumerate(row):
                    t.cell(r, c).text = cell
    doc.save(str(path))


def _wrap(text: str, font: str, size: float, width: float, indent: float) -> list[str]:
    """Greedy line filling as word processors do for Chinese: a line breaks between any two
    characters, but not inside a Latin word or number (``PM2.5``), and no line starts with
    closing punctuation (，。、 …)."""
    import re

    from reportlab.pdfbase.pdfmetrics import stringWidth

    no_start = "，。、；：！？）》”’」』%．,.;:!?)"
    lines, cur, avail = [], "", width - indent
    for token in re.findall(r"[A-Za-z0-9.%/]+|.", text):
        if cur and stringWidth(cur + token, font, size) > avail and token[0] not in no_start:
            lines.append(cur)
            cur, avail = "", width
        cur += token
    if cur:
        lines.append(cur)
    return lines


def make_pdf(path: Path, title: str, body: Sequence[str], *, header: str = "某市生态环境局工作文件",
             size: float = 12, lines_per_page: int = 0) -> int:
    """An A4 PDF in reportlab's built-in CID font STSong-Light (no font file needed): a
    centred title, body paragraphs with a two-character first-line indent, filled lines
    that break mid-sentence, a running header with a rule on every page, and a
    ``— N —`` page number at the foot. Returns the number of pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    w, h = A4
    left, right, top, bottom = 72.0, 72.0, 90.0, 90.0
    leading = size * 1.6
    c = canvas.Canvas(str(path), pagesize=A4)
    page = [1]
    y = [h - top]

    def furniture() -> None:
        c.setFont(font, 9)
        c.drawCentredString(w / 2, h - 50, header)
        c.line(left, h - 56, w - right, h - 56)
        c.drawCentredString(w / 2, 45, f"— {page[0]} —")

    def newline(extra: float = 0.0) -> None:
        y[0] -= leading + extra
        if y[0] < bottom or (lines_per_page and (h - top - y[0]) / leading > lines_per_page):
            c.showPage()
            page[0] += 1
            furniture()
            y[0] = h - top

    furniture()
    c.setFont(font, size + 4)
    c.drawCentredString(w / 2, y[0], title)
    newline(size)
    for p in body:
        for k, line in enumerate(_wrap(p, font, size, w - left - right, 2 * size)):
            c.setFont(font, size)
            c.drawString(left + (2 * size if k == 0 else 0), y[0], line)
            newline()
    c.save()
    return page[0]
