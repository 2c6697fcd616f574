"""The :class:`~policytag.tagger.core.Tagger`: a loaded model with its thresholds, tagging
texts and streams of records, in batches, on threads or processes."""
