"""Does the nearest section heading help the model? (python bench/heading_context.py)

Train with 'heading。paragraph' input, score on dev.

Corpus headings come from each document's rows in file order; dev headings from the
raw source documents (evaluation only). Prints dev figures for baseline vs variant.
"""
import json, sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
if not (SHARED / "dev" / "dev.jsonl").is_file():
    sys.exit("needs ../shared/dev/dev.jsonl and ../shared/corpus/raw (evaluation data)")
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from policytag.text.headings import HeadingTracker
from policytag.text.segment import paragraph_text
from policytag.model.config import load_config
from policytag.model.estimators import build_pipeline
from policytag.resources import load_taxonomy, label_ids, corpus_files
from policytag.workflow.evaluate import multilabel_metrics

labels = label_ids(); tax = load_taxonomy()

def with_heading(texts_in_order):
    tr = HeadingTracker(); out = []
    for t in texts_in_order:
        norm = paragraph_text(t, drop_furniture=False) or ""
        h = tr.feed(t, norm) if norm else None
        out.append(h)
    return out

rows = []
for f in corpus_files():
    for line in f.read_text(encoding='utf-8').splitlines():
        if line.strip(): rows.append(json.loads(line))
by_doc = {}
for i, r in enumerate(rows): by_doc.setdefault(r['meta'].get('doc'), []).append(i)
heads = [None] * len(rows)
for doc, idx in by_doc.items():
    for i, h in zip(idx, with_heading([rows[i]['text'] for i in idx])): heads[i] = h
Y = np.array([[int(l in r['labels']) for l in labels] for r in rows])
print('corpus paragraphs with a heading:', sum(h is not None for h in heads), 'of', len(rows))

dev = [json.loads(l) for l in open(str(SHARED / 'dev' / 'dev.jsonl'))]
raw = {}
dheads = []
for r in dev:
    doc, line = r['meta']['doc'], r['meta']['line']
    if doc not in raw:
        lines = Path(SHARED / 'corpus' / 'raw' / f'{doc}.txt').read_text(encoding='utf-8').splitlines()
        raw[doc] = with_heading(lines)
    dheads.append(raw[doc][line - 1] if line - 1 < len(raw[doc]) else None)
print('dev paragraphs with a heading:', sum(h is not None for h in dheads), 'of', len(dev))
Yd = np.array([[int(l in r['labels']) for l in labels] for r in dev])

def join(h, t): return (h + '。' + t) if h and not t.startswith(h[:10]) else t
cfg = load_config()
for name, tr_x, dv_x in [
    ('baseline', [r['text'] for r in rows], [r['text'] for r in dev]),
    ('heading+paragraph', [join(h, r['text']) for h, r in zip(heads, rows)], [join(h, r['text']) for h, r in zip(dheads, dev)]),
]:
    pipe = build_pipeline(cfg, tax).fit(tr_x, Y)
    P = pipe.predict(dv_x)
    m = multilabel_metrics(Yd, P, labels)
    print(name, 'micro %.3f macro %.3f' % (m['micro']['f1'], m['macro']['f1']), {l: round(m['per_label'][l]['f1'], 3) for l in labels})
