"""Model files: identical predictions after a round trip; clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from train_fixtures import POEM, quick_train_config, sentiment_dataset, small_model_config

from lstm_studio.core.checkpoint import load_checkpoint, save_checkpoint
from lstm_studio.core.config import CleaningConfig, ModelConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.errors import CheckpointError
from lstm_studio.core.generation import generate
from lstm_studio.core.pipeline import train_model

torch.set_num_threads(1)

CLEANING = CleaningConfig(detect_language=False, segment="off")


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("ckpt") / "clf.safetensors"
    result = train_model(sentiment_dataset(), VocabConfig(), small_model_config(
        bidirectional=True, pooling="mean"), quick_train_config(), cleaning_config=CLEANING,
        out_path=str(path), record_run=False)
    return result, path


@pytest.fixture(scope="module")
def language_model(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("ckpt") / "lm.safetensors"
    docs = [Document(POEM, None, "train", str(i)) for i in range(8)]
    result = train_model(Dataset(docs), VocabConfig(), ModelConfig(
        task="lm", cell="gru", embedding_dim=10, hidden_size=10, tie_weights=True),
        quick_train_config(epochs=3), out_path=str(path), record_run=False)
    return result, path


def test_classifier_round_trip_gives_identical_predictions(classifier) -> None:
    result, path = classifier
    loaded = load_checkpoint(path)
    texts = ["The FOOD was GOOD!!! 😊", "slow, dirty staff http://x.vn", "", "unknownword"]
    for text in texts:
        assert loaded.predict(text) == result.bundle.predict(text)
    assert loaded.prepare(texts[0]).tokens == ["the", "food", "was", "good"]  # stored cleaning
    assert loaded.labels == ["neg", "pos"]
    assert loaded.vocab.itos == result.bundle.vocab.itos
    assert loaded.history == json.loads(json.dumps(result.history))
    assert loaded.metrics["valid"]["accuracy"] == result.valid["accuracy"]
    assert loaded.model_config == result.bundle.model_config
    assert loaded.train_config == result.bundle.train_config
    assert loaded.cleaning_config == CLEANING
    assert loaded.info["app_version"]


def test_prepare_marks_unknown_words(classifier) -> None:
    encoded = load_checkpoint(classifier[1]).prepare("good zzzunknown")
    assert encoded.oov == [False, True]
    assert encoded.ids[1] == 1


def test_language_model_round_trip_with_tied_weights(language_model) -> None:
    result, path = language_model
    loaded = load_checkpoint(path)
    assert loaded.model.head.weight is loaded.model.embedding.weight
    assert loaded.next_word_distribution("trăm năm", 5) == \
        result.bundle.next_word_distribution("trăm năm", 5)
    assert generate(loaded, "trăm", 8, seed=7) == generate(result.bundle, "trăm", 8, seed=7)


def test_the_file_is_safetensors_with_json_metadata(classifier) -> None:
    data = classifier[1].read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    payload = json.loads(header["__metadata__"]["payload"])
    assert payload["format"] == "lstm-studio-model"
    assert set(payload) >= {"model_config", "train_config", "vocab_config", "cleaning_config",
                            "data_config", "vocab", "labels", "history", "metrics",
                            "app_version"}
    assert not list(classifier[1].parent.glob(".*.tmp"))  # atomic save left no temp file


def test_saving_replaces_atomically(classifier, tmp_path: Path) -> None:
    result, _ = classifier
    target = tmp_path / "m.safetensors"
    target.write_bytes(b"old")
    save_checkpoint(result.bundle, target)
    assert load_checkpoint(target).labels == ["neg", "pos"]


def test_truncated_file(classifier, tmp_path: Path) -> None:
    data = classifier[1].read_bytes()
    for cut in (len(data) - 10, len(data) // 2, 100, 5):
        bad = tmp_path / f"cut{cut}.safetensors"
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=r"truncated|not an LSTM Studio"):
            load_checkpoint(bad)


def test_foreign_and_corrupt_files(classifier, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a model", encoding="utf-8")
    with pytest.raises(CheckpointError, match="not an LSTM Studio model file"):
        load_checkpoint(text)
    foreign = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(CheckpointError, match="not an LSTM Studio model"):
        load_checkpoint(foreign)
    pickle_file = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, pickle_file)
    with pytest.raises(CheckpointError, match="not an LSTM Studio model file"):
        load_checkpoint(pickle_file)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.safetensors")
    with pytest.raises(CheckpointError, match="folder"):
        load_checkpoint(tmp_path)


def test_corrupt_payload_and_mismatched_weights(classifier, tmp_path: Path) -> None:
    result, path = classifier
    tensors = {k: v.clone() for k, v in result.bundle.model.state_dict().items()}
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    metadata = json.loads(data[8:8 + size])["__metadata__"]
    broken = tmp_path / "payload.safetensors"
    save_file(tensors, str(broken), metadata={**metadata, "payload": "{not json"})
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(broken)
    tensors["head.weight"] = torch.zeros(5, 5)
    mismatched = tmp_path / "mismatch.safetensors"
    save_file(tensors, str(mismatched), metadata=metadata)
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(mismatched)
    newer = tmp_path / "newer.safetensors"
    save_file({"w": torch.zeros(1)}, str(newer), metadata={**metadata, "format_version": "99"})
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(newer)
    flipped = bytearray(data)
    flipped[20] ^= 0xFF  # inside the JSON header
    bad = tmp_path / "flipped.safetensors"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError):
        load_checkpoint(bad)


def test_batched_predictions_equal_single_ones(classifier) -> None:
    bundle = classifier[0].bundle
    texts = ["good", "the staff was slow and the food was awful and dirty " * 3, "nice place"]
    for text, batched in zip(texts, bundle.predict_many(texts), strict=True):
        assert batched == pytest.approx(bundle.predict(text), abs=1e-6)
