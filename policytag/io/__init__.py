"""Input and output: records, readers per format (txt, JSON Lines, CSV, HTML, Word, PDF),
encoding detection, the labelled corpus, annotation-tool interop and the row writers.

Builds on :mod:`policytag.text`; never imports the model, the kernel or the tagger."""
