"""The numba kernel: scoring (:mod:`.score`), the word cutter (:mod:`.cut`), the hash
table (:mod:`.hashtable`) and the disk cache of its tables (:mod:`.cache`).

Imported only when the kernel is used (``import numba`` costs time); it builds on
:mod:`policytag.text` and never imports the model, which is what calls it."""
