"""Text: normalisation, paragraph and sentence segmentation, tokenisation, headings.

The bottom of the package above errors and resources; nothing here knows about files,
models or the kernel."""
