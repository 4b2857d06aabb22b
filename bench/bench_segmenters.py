"""Which Vietnamese word segmenter: compounds recovered on NTC-SCV, speed, import time, size.

NTC-SCV's test reviews come word-segmented ("nhân_viên thân_thiện"). Each candidate gets them
with every "_" replaced by a space and must put the joins back: recall is the share of the
corpus's joined words it reproduces exactly, precision the share of its joins the corpus has,
F1 is over all words. Also: documents per second on one core, the import time, and the
installed size of the library with everything it pulls in (measured in the environment that
runs this script). Candidates that are not installed are reported as such.

With --diacritics N it also measures the one diacritics restorer installed with the app
(pyvi's ViUtils.add_accents): N test reviews with their accents stripped, restored, and the
share of syllables it gets exactly right (the app counts unaccented texts but does not offer
restoration on these figures; see docs/vietnamese.md).

    .venv/bin/python bench/bench_segmenters.py --docs 2000
    # underthesea is GPL-3.0 and not a dependency: measure it from its own environment, e.g.
    python -m venv /tmp/uts && /tmp/uts/bin/pip install underthesea
    PYTHONPATH=. /tmp/uts/bin/python bench/bench_segmenters.py --only underthesea
Exits 0 with a message when ../shared/data/ntc-scv is absent.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ntc_scv import NTC_SCV_DIR, NTC_SCV_ZIPS, zips_present  # noqa: E402


def installed_mb(name: str) -> float:
    """Size of a distribution and of every distribution it requires, transitively."""
    seen: set[str] = set()
    total = 0
    todo = [name]
    while todo:
        current = re.split(r"[\s<>=!~;\[(]", todo.pop(), maxsplit=1)[0].lower()
        if current in seen:
            continue
        seen.add(current)
        try:
            dist = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            continue
        total += sum((f.size or 0) for f in dist.files or [])
        todo += [req for req in dist.requires or [] if "extra ==" not in req]
    return round(total / 1e6, 1)


def licence(name: str) -> str:
    meta = metadata.metadata(name)
    found = meta.get("License-Expression") or meta.get("License")
    if found and len(found) < 40:
        return found
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    return ", ".join(classifiers) or "unknown"


def candidates() -> dict[str, Callable[[], Callable[[str], str]]]:
    def app_pyvi() -> Callable[[str], str]:
        from lstm_studio.core import segmentation

        segmentation.preload()
        return segmentation.segment

    def pyvi() -> Callable[[str], str]:
        from pyvi.ViTokenizer import ViTokenizer

        return ViTokenizer.tokenize

    def underthesea() -> Callable[[str], str]:
        from underthesea import word_tokenize

        return lambda text: word_tokenize(text, format="text")

    return {"lstm-studio (pyvi's CRF)": app_pyvi, "pyvi": pyvi, "underthesea": underthesea}


DISTRIBUTION = {"lstm-studio (pyvi's CRF)": "pyvi", "pyvi": "pyvi", "underthesea": "underthesea"}


def spans(tokens: list[str]) -> list[tuple[int, int, bool]]:
    """(start, end, joined) of each word, in characters without spaces and underscores."""
    out, position = [], 0
    for token in tokens:
        length = len(token.replace("_", ""))
        out.append((position, position + length, "_" in token))
        position += length
    return out


def measure(segment: Callable[[str], str], texts: list[str]) -> dict:
    raw = [" ".join(text.replace("_", " ").split()) for text in texts]
    started = time.perf_counter()
    outputs = [segment(text) for text in raw]
    seconds = time.perf_counter() - started
    hit = gold_joined = found_joined = words_hit = words_gold = words_found = 0
    for text, output in zip(texts, outputs, strict=True):
        gold, got = spans(text.split()), spans(output.split())
        gold_all, got_all = {(a, b) for a, b, _ in gold}, {(a, b) for a, b, _ in got}
        gold_j = {(a, b) for a, b, j in gold if j}
        got_j = {(a, b) for a, b, j in got if j}
        hit += len(gold_j & got_j)
        gold_joined += len(gold_j)
        found_joined += len(got_j)
        words_hit += len(gold_all & got_all)
        words_gold += len(gold_all)
        words_found += len(got_all)
    return {"compound_recall": round(hit / gold_joined, 4),
            "compound_precision": round(hit / max(1, found_joined), 4),
            "word_f1": round(2 * words_hit / (words_gold + words_found), 4),
            "docs_per_s_one_core": round(len(texts) / seconds)}


def diacritics(texts: list[str]) -> dict:
    """pyvi's accent restoration, syllable accuracy on texts whose accents were stripped."""
    hide = "sklearn" not in sys.modules
    if hide:
        sys.modules["sklearn"] = None  # type: ignore[assignment]  # as segmentation.py does
    try:
        from pyvi import ViUtils
    finally:
        if hide:
            sys.modules.pop("sklearn", None)
    right = total = failed = unaligned = 0
    started = time.perf_counter()
    for text in texts:
        gold = " ".join(text.replace("_", " ").split())
        stripped = ViUtils.remove_accents(gold).decode("ascii")
        try:
            restored = ViUtils.add_accents(stripped)
        except Exception:  # it raises KeyError on some inputs
            failed += 1
            continue
        expected, got = gold.lower().split(), restored.lower().split()
        if len(expected) != len(got):
            unaligned += 1
            continue
        for a, b in zip(expected, got, strict=True):
            if re.search(r"[^\W\d_]", a):
                total += 1
                right += a == b
    return {"documents": len(texts), "raised": failed, "not_aligned": unaligned,
            "syllable_accuracy": round(right / max(1, total), 4),
            "docs_per_s": round(len(texts) / (time.perf_counter() - started))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="test reviews to segment")
    parser.add_argument("--only", help="measure only this candidate")
    parser.add_argument("--diacritics", type=int, metavar="N",
                        help="also measure pyvi's diacritics restoration on N reviews")
    args = parser.parse_args()
    if not zips_present():
        print(f"skipped: NTC-SCV zips not found under {NTC_SCV_DIR}")
        return 0
    from lstm_studio.core.readers import load_sources

    test = [doc.text for doc in load_sources([str(NTC_SCV_ZIPS[1])]).documents][: args.docs]
    figures: dict = {"documents": len(test)}
    for name, load in candidates().items():
        if args.only and args.only != name:
            continue
        started = time.perf_counter()
        try:
            segment = load()
        except ImportError:
            figures[name] = "not installed"
            continue
        loaded = time.perf_counter() - started
        figures[name] = {**measure(segment, test), "import_s": round(loaded, 2),
                         "installed_mb_with_dependencies": installed_mb(DISTRIBUTION[name]),
                         "licence": licence(DISTRIBUTION[name])}
    if args.diacritics:
        figures["pyvi diacritics restoration"] = diacritics(test[: args.diacritics])
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
