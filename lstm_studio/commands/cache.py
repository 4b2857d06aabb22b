"""`lstm-studio cache`: how much disk the corpus token stores take, and clearing them.

Stores are rebuilt from the sources whenever needed, so clearing them loses no work; the next
run over the same data is only slower to start.
"""

from __future__ import annotations

import argparse

from lstm_studio.commands.common import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cache", help="show or clear the corpus cache (token stores)",
        description="The corpus cache holds the token stores built from large corpora, in the "
                    "user's cache folder. Prints its folder, how many stores it holds and "
                    "their size; --clear removes them all (they are rebuilt when needed).")
    parser.add_argument("--clear", action="store_true", help="remove every store")
    parser.add_argument("--json", action="store_true",
                        help="print JSON: folder, stores, bytes, size (and freed with --clear)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lstm_studio.core.corpus.cache import cache_usage, clear_cache
    from lstm_studio.core.limits import size_text
    from lstm_studio.core.wording import plural

    freed = clear_cache() if args.clear else None
    usage = cache_usage()
    if args.json:
        data: dict[str, object] = {**usage.to_dict(), "size": size_text(usage.bytes)}
        if freed is not None:
            data["freed"] = {"stores": freed.stores, "bytes": freed.bytes,
                             "size": size_text(freed.bytes)}
        print_json(data)
        return 0
    if freed is not None:
        print(f"Cleared {plural(freed.stores, 'store')}: {size_text(freed.bytes)} freed.")
    print(f"Folder: {usage.folder}")
    print(f"Stores: {usage.stores:,}")
    exact = f" ({usage.bytes:,} bytes)" if usage.bytes >= 1024 else ""
    print(f"Size:   {size_text(usage.bytes)}{exact}")
    return 0
