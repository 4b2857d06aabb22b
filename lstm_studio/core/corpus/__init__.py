"""Corpora larger than memory: streaming readers and the on-disk token store (no Qt, no torch
at import).

    stream_source(path, config, budget)   documents one at a time, each with its position
    fetch_text(position)                  one document read again, for display
    build_store(config, cleaning, ...)    one pass: read, clean, count, tokenise to disk
    open_store(key) / TokenStore          memory-mapped token ids, offsets, labels, splits
    cache_size() / clear_cache()          the stores in the user's cache folder

docs/big-corpora.md tells the user's side; bench/bench_big_corpus.py measures it.
"""
