"""What training needs from the data, however the corpus is held.

`train_model` asks a `DataPlan` for the splits (as documents, for reports), the vocabulary,
the maximum length and, once the model is known to fit, the encoded sets. Two planners make
one: `plan_in_memory` from a cleaned Dataset, and `core.corpus.training.plan_from_store`
from the on-disk token store; they apply the same rules (vocabulary from the training split
only, a stratified validation hold-out when there is none, the test split scored whole) in
the same order, so the same data gives the same vocabulary, batches and figures either way.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from lstm_studio.core.batching import EncodedSet, encode_classification, encode_lm
from lstm_studio.core.config import TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import DataError
from lstm_studio.core.vocab import Vocabulary
from lstm_studio.core.wording import plural, verb

HOLDOUT_FRACTION = 0.1


@dataclass
class DataPlan:
    task: str
    labels: list[str]  # classifier labels (empty for a language model)
    vocab: Vocabulary
    vocab_config: VocabConfig
    max_len: int
    train_docs: Sequence[Document]
    valid_docs: Sequence[Document]
    test_docs: Sequence[Document]
    train_texts: Sequence[str]  # for word2vec and embedding coverage
    encode: Callable[[str], EncodedSet | None]  # "train" / "valid" / "test"
    fingerprint: Callable[[], str]
    notes: list[str] = field(default_factory=list)


def stratified_holdout(documents: Sequence[Document], fraction: float, seed: int
                       ) -> tuple[list[Document], list[Document]]:
    """Split off `fraction` of each label's documents (at least one per label with >= 2)."""
    keep, held = holdout_positions([doc.label for doc in documents], fraction, seed)
    return ([documents[i] for i in keep],
            [replace(documents[i], split="valid") for i in held])


def holdout_positions(labels: Sequence[str | None], fraction: float, seed: int
                      ) -> tuple[list[int], list[int]]:
    """`stratified_holdout` on positions (the on-disk store holds labels, not Documents):
    (kept positions, held-out positions), each in the order the in-memory split gives."""
    groups: dict[str | None, list[int]] = defaultdict(list)
    for position, label in enumerate(labels):
        groups[label].append(position)
    return holdout_from_groups(groups, fraction, seed)


def holdout_from_groups(groups: dict[str | None, list[int]], fraction: float, seed: int
                        ) -> tuple[list[int], list[int]]:
    """`holdout_positions` given each label's positions in order (the store finds them with
    NumPy instead of a Python loop over a million labels)."""
    rng = random.Random(f"holdout:{seed}")
    keep: list[int] = []
    held: list[int] = []
    for label in sorted(groups, key=lambda x: (x is None, x or "")):
        positions = list(groups[label])
        rng.shuffle(positions)
        count = round(len(positions) * fraction)
        if count == 0 and len(positions) >= 2:
            count = 1
        held.extend(positions[:count])
        keep.extend(positions[count:])
    return keep, held


def check_labels(train_labels: Sequence[str | None], task: str) -> list[str]:
    """The classifier's labels from its training split, or a clear refusal."""
    if not train_labels:
        raise DataError("The dataset has no training documents.")
    if task == "lm":
        return []
    unlabelled = sum(1 for label in train_labels if label is None)
    if unlabelled:
        raise DataError(f"{plural(unlabelled, 'training document')} "
                        f"{verb(unlabelled, 'has', 'have')} no label; a classifier needs "
                        "a label on every document (or choose the language-model task).")
    labels = sorted({label for label in train_labels if label is not None})
    if len(labels) < 2:
        raise DataError(f"The training split has only one label ({labels[0] if labels else '-'})"
                        "; a classifier needs at least two.")
    return labels


def holdout_note(held: int, seed: int) -> str:
    return (f"No validation split, so {plural(held, 'training document')} "
            f"({HOLDOUT_FRACTION:.0%}, stratified, seed {seed}) "
            f"{verb(held, 'was', 'were')} held out for validation.")


def unscored_note(unscored: int) -> str:
    return (f"{unscored} test documents have labels the training split lacks and are not "
            "scored.")


def max_len_note(max_len: int) -> str:
    return (f"Maximum length {plural(max_len, 'token')} (95th percentile of training "
            "lengths).")


def plan_in_memory(dataset: Dataset, vocab_config: VocabConfig, train_config: TrainConfig,
                   task: str) -> DataPlan:
    """The plan for a cleaned, in-memory Dataset."""
    from lstm_studio.core.run_session import data_fingerprint
    from lstm_studio.core.tokenize import tokenize
    from lstm_studio.core.vocab import percentile

    notes: list[str] = []
    train_docs = dataset.split("train")
    labels = check_labels([doc.label for doc in train_docs], task)
    valid_docs = dataset.split("valid")
    if task == "classify":
        valid_docs = [d for d in valid_docs if d.label in set(labels)]
    if not valid_docs:
        train_docs, valid_docs = stratified_holdout(train_docs, HOLDOUT_FRACTION,
                                                    train_config.seed)
        notes.append(holdout_note(len(valid_docs), train_config.seed))
        if not train_docs or not valid_docs:
            raise DataError("Too few documents to hold out a validation split; add more data.")
    # The test split is scored whole (cleaning never filters it); only documents whose label
    # the model cannot output are left out, and the message says how many.
    test_docs = dataset.split("test")
    if task == "classify":
        scorable = [d for d in test_docs if d.label in set(labels)]
        if len(scorable) < len(test_docs):
            notes.append(unscored_note(len(test_docs) - len(scorable)))
        test_docs = scorable

    vocab_config = replace(vocab_config, lm_specials=vocab_config.lm_specials or task == "lm")
    vocab = Vocabulary.build([doc.text for doc in train_docs], vocab_config)
    max_len = train_config.max_len or vocab_config.max_len
    if not max_len:
        # the Vocabulary tab's suggestion: p95 of training lengths
        max_len = max(1, percentile([len(tokenize(doc.text)) for doc in train_docs], 0.95))
        notes.append(max_len_note(max_len))
    splits = {"train": train_docs, "valid": valid_docs, "test": test_docs}

    def encode(split: str) -> EncodedSet | None:
        docs = splits[split]
        if split == "test" and not docs:
            return None
        return _encode(docs, vocab, task, labels, max_len)

    return DataPlan(task, labels, vocab, vocab_config, max_len, train_docs, valid_docs,
                    test_docs, [doc.text for doc in train_docs], encode,
                    lambda: data_fingerprint((train_docs, valid_docs, test_docs), vocab), notes)


def _encode(docs: Sequence[Document], vocab: Vocabulary, task: str, labels: list[str],
            max_len: int | None) -> EncodedSet:
    ids = [vocab.encode(doc.text) for doc in docs]
    if task == "lm":
        assert vocab.bos_id is not None and vocab.eos_id is not None
        return encode_lm(ids, vocab.bos_id, vocab.eos_id, max_len)
    index = {label: i for i, label in enumerate(labels)}
    labelled = [doc.label for doc in docs if doc.label is not None]
    if len(labelled) != len(docs):  # check_labels and the split filters rule this out
        raise DataError("Every document of a classifier's splits needs a label.")
    return encode_classification(ids, [index[label] for label in labelled], max_len,
                                 vocab.unk_id)
