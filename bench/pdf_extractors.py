"""Measure PDF text extractors on generated Chinese reports: paragraphs back, and speed.

Each document of the project's corpus (labels/corpus, grouped by ``meta.doc``) is
set as a PDF by tests/docmaker.py (reportlab, STSong-Light, A4, running header,
``— N —`` footers, filled lines breaking mid-sentence, first-line indents). Then:

* pdfminer.six: lines with positions → policytag.io.layout (what policytag uses);
* pypdf: ``extract_text()`` lines without positions → the same two steps, text-only;

and the paragraphs, after the furniture filter, are compared with the document's
paragraphs: recall (body paragraphs found whole), precision (output paragraphs that
are body paragraphs), exact (documents whose paragraphs all come back, in order),
ms/page. Needs ``pip install ".[docs]" reportlab pypdf``.

    python bench/pdf_extractors.py --docs 40
"""
from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _docs() -> list[list[str]]:
    from _extraction_score import corpus_documents

    return corpus_documents(max_paragraphs=30)


def _pdfminer(data: bytes) -> list[str]:
    from policytag.io.pdf import pdf_paragraphs

    return pdf_paragraphs(io.BytesIO(data))


def _pypdf(data: bytes) -> list[str]:
    import pypdf

    from policytag.io.layout import Line, drop_running_furniture, join_lines

    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [[Line(t, n) for t in (page.extract_text() or "").split("\n") if t.strip()]
             for n, page in enumerate(reader.pages, start=1)]
    return join_lines([ln for page in drop_running_furniture(pages) for ln in page])


def main() -> None:
    from _extraction_score import score
    from docmaker import make_pdf

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=40)
    args = ap.parse_args()
    rng = random.Random(0)
    docs = rng.sample(_docs(), args.docs)
    pdfs, n_pages = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, paras in enumerate(docs):
            path = Path(tmp) / f"{i}.pdf"
            n_pages += make_pdf(path, paras[0], paras[1:])
            pdfs.append((path.read_bytes(), paras))
    print(f"{len(pdfs)} PDFs, {n_pages} pages, {sum(len(p) for _, p in pdfs)} paragraphs")
    print(f"{'extractor':<34}{'recall':>8}{'precision':>11}{'exact':>8}{'ms/page':>9}")
    extractors = {}
    try:
        import pdfminer

        extractors[f"pdfminer.six {pdfminer.__version__} + layout"] = _pdfminer
    except ImportError:
        pass
    try:
        import pypdf

        extractors[f"pypdf {pypdf.__version__} + text-only rules"] = _pypdf
    except ImportError:
        pass
    for name, extract in extractors.items():
        t0 = time.perf_counter()
        outs = [extract(data) for data, _ in pdfs]
        ms = (time.perf_counter() - t0) * 1000 / n_pages
        recall, precision, exact, misses = score(((paras, out) for (_, paras), out in zip(pdfs, outs)), 30)
        print(f"{name:<34}{recall:>8.3f}{precision:>11.3f}{exact:>8.3f}{ms:>9.1f}")
        if misses:
            top = sorted(misses.items(), key=lambda kv: -kv[1])[:4]
            print(f"{'':<4}not body: " + "; ".join(f"{k!r} ×{v}" for k, v in top))


if __name__ == "__main__":
    main()
