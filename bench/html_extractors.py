"""Measure HTML article extractors on Chinese government-style pages.

Pages are generated: the body is one document of the project's corpus
(labels/corpus, grouped by ``meta.doc``), wrapped in one of four page templates
written here (a div layout with nav, breadcrumb, share bar, related links,
comment box and footer; an old table layout; a body of ``<br>``-separated text;
a TRS-editor page with headings in ``<h3>``/``<strong>``). Each extractor's text
is split into lines and passed through policytag's furniture filter, as
``policytag predict`` would. Figures per extractor:

* recall: body paragraphs found, whole, as one output paragraph;
* precision: output paragraphs that are body paragraphs;
* exact: pages whose output is exactly the body, in order;
* ms/page.

    python bench/html_extractors.py --pages 80
"""
from __future__ import annotations

import argparse
import html
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAV = ["首页", "新闻中心", "政务公开", "办事服务", "互动交流", "专题专栏", "数据发布"]
RELATED = ["某市召开生态环境保护委员会全体会议", "全市秋冬季大气污染防治攻坚动员会召开",
           "某区河长制工作推进会议顺利举行", "省生态环境厅赴某市开展帮扶指导", "某县完成年度土壤污染状况调查"]
COMMENTS = ["支持！希望继续加大力度。", "我们小区旁边的河终于变清了，点赞。", "建议公开更多监测数据。"]


def _docs() -> list[list[str]]:
    from _extraction_score import corpus_documents

    return corpus_documents(max_paragraphs=40)


def _chrome_top(rng: random.Random, title: str) -> str:
    nav = "".join(f'<li><a href="/{i}">{n}</a></li>' for i, n in enumerate(NAV))
    return (f'<div class="header"><div class="logo">某市人民政府门户网站</div><ul class="nav">{nav}</ul>'
            f'<div class="login"><a href="/login">登录</a> | <a href="/reg">注册</a></div></div>'
            f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/gk">政务公开</a> &gt; 工作动态</div>'
            f"<h1>{html.escape(title)}</h1>"
            f'<div class="info">来源：某市生态环境局　发布时间：2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 09:30　'
            f'浏览次数：{rng.randint(100, 9999)}</div>'
            '<div class="font">【字体：<a>大</a> <a>中</a> <a>小</a>】</div>')


def _chrome_bottom(rng: random.Random) -> str:
    related = "".join(f'<li><a href="/n/{i}">{t}</a><span>2024-0{rng.randint(1, 9)}-0{i + 1}</span></li>'
                      for i, t in enumerate(rng.sample(RELATED, 3)))
    comments = "".join(f'<div class="c"><span class="u">网友{rng.randint(100, 999)}</span><p>{c}</p></div>'
                       for c in rng.sample(COMMENTS, 2))
    return ('<div class="share">分享到：<a>微信</a><a>微博</a><a>QQ空间</a></div>'
            '<div class="tools"><a>【打印本页】</a><a>【关闭窗口】</a></div>'
            f'<div class="related"><h3>相关阅读</h3><ul>{related}</ul></div>'
            f'<div class="comments" id="comments"><h3>网友评论</h3>{comments}'
            '<form><textarea></textarea><button>发表评论</button></form><p>请登录后评论</p></div>'
            '<div class="footer"><p>版权所有：某市人民政府办公室　主办：某市人民政府办公室</p>'
            '<p>网站标识码：1234000001　某ICP备12345678号</p>'
            '<p>本网转载的文章仅供参考，不代表本网观点。</p></div>')


def _body(paras: list[str], style: str) -> str:
    from policytag.text.headings import heading_level

    out = []
    for p in paras:
        e = html.escape(p)
        level = heading_level(p)
        if style == "br":
            out.append(f"　　{e}<br/>\n")
        elif level is not None and len(p) < 30 and style == "trs":
            out.append(f"<h3>{e}</h3>")
        elif level is not None and style == "trs" and "。" in p:
            head, rest = p.split("。", 1)
            out.append(f"<p><strong>{html.escape(head)}。</strong>{html.escape(rest)}</p>")
        else:
            out.append(f'<p style="text-indent:2em">{e}</p>')
    return "".join(out)


def make_page(paras: list[str], rng: random.Random) -> tuple[str, list[str]]:
    """An HTML page around ``paras`` (the first is the title); returns (html, expected body)."""
    title, body = paras[0], paras[1:]
    style = rng.choice(["div", "table", "br", "trs"])
    inner = _body(body, style)
    if style == "table":
        main = (f'<table width="100%"><tr><td class="left"><ul>{"".join(f"<li>{n}</li>" for n in NAV)}</ul></td>'
                f'<td class="main">{_chrome_top(rng, title)}<table><tr><td class="content">{inner}</td></tr></table>'
                f"{_chrome_bottom(rng)}</td></tr></table>")
    elif style == "trs":
        main = (f'{_chrome_top(rng, title)}<div class="article"><div class="TRS_Editor">{inner}</div></div>'
                f"{_chrome_bottom(rng)}")
    else:
        main = f'{_chrome_top(rng, title)}<div class="article-content">{inner}</div>{_chrome_bottom(rng)}'
    page = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}_某市人民政府'
            f"</title></head><body>{main}</body></html>")
    return page, [title, *body]


def _with_title(page: str, lines: list[str]) -> list[str]:
    """Put the page's <h1> first when the extractor left it out (every extractor gets this)."""
    import lxml.html

    h1 = lxml.html.fromstring(page).findall(".//h1")
    title = " ".join(h1[0].text_content().split()) if h1 else ""
    body = [line.strip() for line in lines if line.strip()]
    return body if not title or title in body[:10] else [title, *body]


def extractors() -> dict[str, object]:
    found = {}
    try:
        import trafilatura

        found[f"trafilatura {trafilatura.__version__}"] = lambda page: (trafilatura.extract(
            page, include_comments=False, include_tables=True, output_format="txt", deduplicate=False) or "").split("\n")
        found[f"trafilatura {trafilatura.__version__}, favor_recall"] = lambda page: (trafilatura.extract(
            page, include_comments=False, include_tables=True, favor_recall=True, output_format="txt") or "").split("\n")
    except ImportError:
        pass
    try:
        from readability import Document

        from policytag.io.html import block_lines

        # what policytag does: readability's article, one line per block element
        found["readability-lxml 0.9"] = lambda page: block_lines(Document(page).summary(html_partial=True))
    except ImportError:
        pass
    try:
        import justext

        def jt(page: str) -> list[str]:
            # justext has no Chinese stop list; an empty one leaves it to link density and length
            return [p.text for p in justext.justext(page.encode("utf-8"), frozenset()) if not p.is_boilerplate]

        found["justext 3.0.2 (no zh stoplist)"] = jt
    except ImportError:
        pass
    return found


def main() -> None:
    from _extraction_score import score

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=80)
    args = ap.parse_args()
    rng = random.Random(0)
    docs = _docs()
    pages = [make_page(rng.choice(docs), rng) for _ in range(args.pages)]
    print(f"{len(pages)} pages, {sum(len(b) for _, b in pages)} body paragraphs")
    print(f"{'extractor':<44}{'recall':>8}{'precision':>11}{'exact':>8}{'ms/page':>9}")
    for name, extract in extractors().items():
        t0 = time.perf_counter()
        outs = [_with_title(page, extract(page)) for page, _ in pages]
        ms = (time.perf_counter() - t0) * 1000 / len(pages)
        recall, precision, exact, misses = score(((body, lines) for (_, body), lines in zip(pages, outs)), 24)
        print(f"{name:<44}{recall:>8.3f}{precision:>11.3f}{exact:>8.3f}{ms:>9.1f}")
        if misses:
            top = sorted(misses.items(), key=lambda kv: -kv[1])[:5]
            print(f"{'':<4}kept that is not body: " + "; ".join(f"{k!r} ×{v}" for k, v in top))


if __name__ == "__main__":
    main()
