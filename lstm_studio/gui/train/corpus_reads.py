"""Reading a split of the training corpus for the Train tab's workers, in memory or from the
on-disk token store the window browses (core/corpus/browse.py).

A store-backed corpus has a million documents decoded only when asked for: a list of its
texts would hold the whole split in memory, and visiting them on the GUI thread freezes the
window. So the texts come as a lazy sequence read one at a time by whoever consumes them (in
a worker), and a split is scored the way training encoded it: through the store's memory
maps (`plan_from_store`), not by reading its documents back in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lstm_studio.core.progress import Progress

if TYPE_CHECKING:
    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.core.corpus.browse import StoreDataset
    from lstm_studio.core.dataset import Dataset


def as_stored(dataset: Dataset) -> StoreDataset | None:
    """The dataset when its documents are read from a token store when asked for, else None."""
    from lstm_studio.core.corpus.browse import StoreDataset

    return dataset if isinstance(dataset, StoreDataset) else None


def split_texts(dataset: Dataset, split: str) -> Sequence[str]:
    """The texts of a split's documents; from a store, read as the consumer asks for them
    (a pass over the documents either way: call it in a worker, or hand the result to one)."""
    from lstm_studio.core.corpus.training import StoredDocuments, StoredTexts

    store_backed = as_stored(dataset)
    if store_backed is None:
        return [doc.text for doc in dataset.split(split)]
    documents = store_backed.split(split)
    assert isinstance(documents, StoredDocuments)
    return StoredTexts(store_backed.store, documents.indices)


def store_metrics(bundle: ModelBundle, dataset: Dataset, split: str,
                  progress: Progress | None = None) -> dict[str, Any] | None:
    """The metrics of `split` as `train_model` computes them on a store: the split encoded
    through the store by the plan training used (its hold-out included), misclassified
    documents read one by one. None when the corpus is not in a store or the model's
    vocabulary or labels are not those this store gives (a model trained on other data)."""
    store_backed = as_stored(dataset)
    if store_backed is None:
        return None
    from lstm_studio.core.corpus.training import plan_from_store
    from lstm_studio.core.errors import DataError
    from lstm_studio.core.evaluation import evaluate_encoded

    cleaning = bundle.cleaning_config  # the filters training applied, as train_model does
    plan = plan_from_store(store_backed.store, bundle.vocab_config, bundle.train_config,
                           bundle.model_config.task,
                           cleaning.filter_splits if cleaning is not None else ())
    if plan.vocab.itos != bundle.vocab.itos or list(plan.labels) != list(bundle.labels):
        return None
    encoded = plan.encode(split)
    if encoded is None or not len(encoded):
        raise DataError(f"The {split} split has no documents to score.")
    documents = {"train": plan.train_docs, "valid": plan.valid_docs,
                 "test": plan.test_docs}[split]
    return evaluate_encoded(bundle.model, encoded, bundle.labels,
                            documents if encoded.task == "classify" else None,
                            device=str(next(bundle.model.parameters()).device),
                            progress=progress, calibration=bundle.calibration)
