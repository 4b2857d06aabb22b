"""Dataset readers: one loader for folders, zips, CSV/TSV, JSON Lines, fastText and text corpora.

`load_sources(paths, config, progress)` is the only entry point the rest of the app needs;
each format lives in its own module, and `splits` holds the rule that decides splits when
several sources are loaded together.
"""

from lstm_studio.core.readers.loader import (
    FILE_KINDS,
    absolute_sources,
    load_configured,
    load_sources,
)

__all__ = ["FILE_KINDS", "absolute_sources", "load_configured", "load_sources"]
