"""What the commands do, as library functions: train, evaluate, quality checks,
suggest, summarize, and tagging on Dask."""
