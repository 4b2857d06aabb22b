"""The on-disk token store: the same data as the in-memory path, reused while nothing changed,
rebuilt when something did or when the cache is broken, never left half-written."""

from __future__ import annotations

import errno
import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lstm_studio.core.batching import bucket_batches
from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.config import CleaningConfig, DataConfig, TrainConfig, VocabConfig
from lstm_studio.core.corpus import build as build_module
from lstm_studio.core.corpus.build import prepare_store, store_key
from lstm_studio.core.corpus.cache import cache_usage, clear_cache, stores_dir
from lstm_studio.core.corpus.choice import load_for_training, use_store
from lstm_studio.core.corpus.store import TOKENS, TRAIN_COUNTS
from lstm_studio.core.corpus.training import lm_chunks, plan_from_store
from lstm_studio.core.data_plan import plan_in_memory
from lstm_studio.core.errors import Cancelled, DataError
from lstm_studio.core.progress import Progress
from lstm_studio.core.readers import load_configured

VI_WORDS = (
    "món", "ăn", "ngon", "quá", "nhân_viên", "phục_vụ", "thân_thiện", "giá", "rẻ", "không",
    "gian", "đẹp", "sẽ", "quay", "lại", "đồ", "uống", "dở", "tệ", "chán", "thất_vọng", "bẩn",
    "chậm", "đắt", "không", "bao_giờ",
)
EN_REVIEWS = ("The food was great and the staff were very friendly indeed",
              "Terrible service, cold food and a rude waiter, never again")


def _corpus(folder: Path, documents: int = 3000, seed: int = 0) -> list[str]:
    """A CSV with its own train/test split column and a JSONL without one (so it goes to
    train), with some English reviews (the language filter drops them from train, never
    from test) and some empty ones."""
    rng = random.Random(seed)
    csv_lines = ["text,label,split"]
    jsonl_lines = []
    for number in range(documents):
        label = rng.choice(["pos", "neg", "neutral"])
        if number % 97 == 0:
            text = rng.choice(EN_REVIEWS)
        elif number % 211 == 0:
            text = "!!! ..."
        else:
            text = " ".join(rng.choice(VI_WORDS) for _ in range(rng.randint(1, 40)))
        if number % 2:
            split = "test" if number % 5 == 0 else "train"
            csv_lines.append(f'"{text}",{label},{split}')
        else:
            jsonl_lines.append(json.dumps({"review": text, "sentiment": label},
                                          ensure_ascii=False))
    (folder / "reviews.csv").write_text("\n".join(csv_lines) + "\n", encoding="utf-8")
    (folder / "more.jsonl").write_text("\n".join(jsonl_lines) + "\n", encoding="utf-8")
    return [str(folder / "reviews.csv"), str(folder / "more.jsonl")]


def _same_plans(data: DataConfig, cleaning: CleaningConfig | None, task: str) -> None:
    dataset = load_configured(data)
    filters: tuple[str, ...] | list[str] = ()
    if cleaning is not None:
        result = clean_dataset(dataset, cleaning, workers=1)
        dataset, filters = result.dataset, result.config.filter_splits
    train = TrainConfig(seed=5)
    vocab = VocabConfig(min_freq=2)
    memory = plan_in_memory(dataset, vocab, train, task)
    store = prepare_store(data, cleaning, workers=1).store
    stored = plan_from_store(store, vocab, train, task, filters)
    assert stored.vocab.itos == memory.vocab.itos
    assert stored.labels == memory.labels and stored.max_len == memory.max_len
    assert stored.notes == memory.notes
    for split in ("train", "valid", "test"):
        a, b = memory.encode(split), stored.encode(split)
        assert (a is None) == (b is None)
        if a is None or b is None:
            continue
        assert len(a) == len(b) > 0
        assert [b.sequences[i] for i in range(len(b))] == list(a.sequences)
        assert b.targets == a.targets and b.doc_index == a.doc_index
        assert b.input_lengths() == a.input_lengths()
        assert bucket_batches(b.input_lengths(), 16, True, 5, 2) == \
            bucket_batches(a.input_lengths(), 16, True, 5, 2)
    docs = {"train": (memory.train_docs, stored.train_docs),
            "valid": (memory.valid_docs, stored.valid_docs),
            "test": (memory.test_docs, stored.test_docs)}
    for split, (a_docs, b_docs) in docs.items():
        assert len(a_docs) == len(b_docs)
        for i in range(0, len(a_docs), 37):
            assert b_docs[i].text == " ".join(a_docs[i].text.split())
            assert (b_docs[i].label, b_docs[i].source, b_docs[i].split) == \
                (a_docs[i].label, a_docs[i].source, split)
    assert memory.fingerprint() != stored.fingerprint()  # different bases, each stable
    assert stored.fingerprint() == plan_from_store(store, vocab, train, task,
                                                   filters).fingerprint()


@pytest.mark.parametrize("task", ["classify", "lm"])
@pytest.mark.parametrize("clean", [True, False])
def test_the_store_gives_the_in_memory_vocabulary_sequences_and_batches(
        tmp_path: Path, task: str, clean: bool) -> None:
    data = DataConfig(sources=_corpus(tmp_path))
    _same_plans(data, CleaningConfig(segment="off") if clean else None, task)


def test_a_random_re_split_and_the_language_filter_match_too(tmp_path: Path) -> None:
    data = DataConfig(sources=_corpus(tmp_path, seed=3), random_split=(0.7, 0.15, 0.15),
                      random_split_seed=4)
    _same_plans(data, CleaningConfig(segment="off"), "classify")


def test_the_filters_drop_from_train_never_from_test(tmp_path: Path) -> None:
    data = DataConfig(sources=_corpus(tmp_path))
    store = prepare_store(data, CleaningConfig(segment="off"), workers=1).store
    dropped = store.meta["cleaning"]["dropped"]
    assert dropped["language"].get("train", 0) > 0 and dropped["language"].get("test", 0) > 0
    prepared = load_for_training(data, CleaningConfig(segment="off"))
    assert prepared.dropped["language"] == dropped["language"]["train"]  # test is spared
    assert prepared.kept == len(store) - sum(prepared.dropped.values())


def test_a_second_start_reuses_the_store_and_a_changed_source_rebuilds_it(
        tmp_path: Path) -> None:
    sources = _corpus(tmp_path, documents=400)
    data = DataConfig(sources=sources)
    first = prepare_store(data, None)
    again = prepare_store(data, None)
    assert first.built and not again.built
    assert again.store.key == first.store.key and "Reused" in again.notes[0]
    assert store_key(data, CleaningConfig()) != first.store.key  # the pipeline is in the key
    # What does not change the arrays does not change the key: the memory-or-store choice and
    # a total-size budget, which a build lifts.
    chosen = replace(data, store="on", limits=replace(data.limits, max_total_bytes=1 << 20))
    assert store_key(chosen, None) == first.store.key
    assert not prepare_store(chosen, None).built
    assert store_key(replace(data, text_column="title"), None) != first.store.key
    with open(sources[1], "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"review": "món mới", "sentiment": "pos"}) + "\n")
    changed = prepare_store(data, None)
    assert changed.built and changed.store.key != first.store.key
    assert len(changed.store) == len(first.store) + 1


@pytest.mark.parametrize("damage", ["truncated tokens", "old version", "no meta", "bad lexicon",
                                    "no word counts"])
def test_a_broken_cached_store_is_rebuilt_never_trusted(tmp_path: Path, damage: str) -> None:
    data = DataConfig(sources=_corpus(tmp_path, documents=300))
    store = prepare_store(data, None).store
    folder = store.folder
    expected = [store.text(i) for i in range(len(store))]
    del store
    if damage == "truncated tokens":
        tokens = folder / TOKENS[0]
        tokens.write_bytes(tokens.read_bytes()[:-8])
    elif damage == "old version":
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        meta["version"] = 0
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    elif damage == "no meta":
        (folder / "meta.json").unlink()
    elif damage == "no word counts":
        (folder / TRAIN_COUNTS[0]).unlink()
    else:
        (folder / "lexicon.txt").write_text("one\n", encoding="utf-8")
    again = prepare_store(data, None)
    assert again.built
    assert "not usable" in again.notes[0] and "rebuilt" in again.notes[0]
    assert [again.store.text(i) for i in range(len(again.store))] == expected


def test_a_full_disk_removes_the_partial_store_and_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = DataConfig(sources=_corpus(tmp_path, documents=600))
    calls = {"n": 0}
    original = build_module._Writer.add

    def add(self, *args, **kwargs) -> None:
        calls["n"] += 1
        if calls["n"] == 250:
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, *args, **kwargs)

    monkeypatch.setattr(build_module._Writer, "add", add)
    with pytest.raises(DataError, match="is full") as caught:
        prepare_store(data, None)
    assert "partial copy was removed" in str(caught.value)
    assert list(stores_dir().iterdir()) == []


def test_cancelling_the_preparation_leaves_nothing_behind(tmp_path: Path) -> None:
    data = DataConfig(sources=_corpus(tmp_path, documents=3000))
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        prepare_store(data, None, progress=progress)
    assert list(stores_dir().iterdir()) == []


def test_a_source_that_changes_while_it_is_read_is_refused(tmp_path: Path) -> None:
    sources = _corpus(tmp_path, documents=3000)

    def grow(done: int, total: int, what: str) -> None:
        with open(sources[1], "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"review": "thêm", "sentiment": "pos"}) + "\n")

    with pytest.raises(DataError, match="changed while it was being read"):
        prepare_store(DataConfig(sources=sources), None, progress=Progress(grow, 0.0))
    assert list(stores_dir().iterdir()) == []


def test_too_many_labels_are_refused_with_the_language_model_suggested(tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"review number {i}", "label": f"id-{i}"}) for i in range(60)]
    path = tmp_path / "ids.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from lstm_studio.core.limits import InputLimits

    data = DataConfig(sources=[str(path)], limits=InputLimits(max_labels=50))
    with pytest.raises(DataError, match="60 distinct labels") as caught:
        prepare_store(data, None)
    assert "language-model task" in str(caught.value)
    with pytest.raises(DataError, match="language-model task"):
        load_configured(data)


def test_the_cache_shows_its_size_and_clears(tmp_path: Path) -> None:
    data = DataConfig(sources=_corpus(tmp_path, documents=300))
    store = prepare_store(data, None).store
    usage = cache_usage()
    assert usage.stores == 1 and usage.bytes == store.size_bytes()
    freed = clear_cache()
    assert freed.bytes == usage.bytes
    assert cache_usage().stores == 0 and cache_usage().bytes == 0


def test_auto_takes_the_store_only_for_big_sources(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    sources = _corpus(tmp_path, documents=300)
    assert not use_store(DataConfig(sources=sources))
    assert use_store(DataConfig(sources=sources, store="on"))
    monkeypatch.setattr("lstm_studio.core.corpus.choice.STORE_AUTO_BYTES", 1000)
    assert use_store(DataConfig(sources=sources))
    assert not use_store(DataConfig(sources=sources, store="off"))


@pytest.mark.parametrize("width", [None, 1, 3, 7])
def test_language_model_chunks_match_encode_lm(width: int | None) -> None:
    from lstm_studio.core.batching import encode_lm

    lengths = np.array([0, 1, 2, 5, 9, 14])
    docs = [list(range(10, 10 + n)) for n in lengths.tolist()]
    expected = encode_lm(docs, 2, 3, width)
    positions, starts = lm_chunks(lengths, width)
    assert positions.tolist() == expected.doc_index
    rebuilt = []
    for doc, start in zip(positions.tolist(), starts.tolist(), strict=True):
        full = [2, *docs[doc], 3]
        rebuilt.append(full[start:start + (width or len(full)) + 1])
    assert rebuilt == expected.sequences
