"""Pretrained vectors: coverage, rows, formats, freezing, and every kind of broken file."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from train_fixtures import quick_train_config, sentiment_dataset, small_model_config

from lstm_studio.cli import main
from lstm_studio.core.config import VocabConfig
from lstm_studio.core.embeddings import (
    EmbeddingError,
    coverage,
    initialise_embedding,
    read_vectors,
    token_counts,
)
from lstm_studio.core.pipeline import train_model
from lstm_studio.core.vocab import Vocabulary

torch.set_num_threads(1)

TEXTS = ["good food good staff", "bad food", "slow staff unknown"]
# Vocabulary (frequency, then alphabet): good 2, food 2, staff 2, bad, slow, unknown.
VECTORS = {"good": [1.0, 2.0, 3.0], "Food": [0.5, -1.0, 0.25], "bad": [-1.0, -2.0, -3.0],
           "elsewhere": [9.0, 9.0, 9.0]}


def vocab() -> Vocabulary:
    return Vocabulary.build(TEXTS, VocabConfig())


def write_text(path: Path, vectors: dict[str, list[float]], header: bool = True,
               extra_lines: tuple[bytes, ...] = (), declared: int | None = None) -> Path:
    lines = [f"{w} {' '.join(repr(v) for v in vec)}".encode() for w, vec in vectors.items()]
    lines += list(extra_lines)
    if header:
        count = declared if declared is not None else len(lines)
        lines.insert(0, f"{count} 3".encode())
    data = b"\n".join(lines) + b"\n"
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def write_binary(path: Path, vectors: dict[str, list[float]]) -> Path:
    out = [f"{len(vectors)} 3\n".encode()]
    for word, vec in vectors.items():
        out.append(word.encode() + b" " + struct.pack("<3f", *vec) + b"\n")
    path.write_bytes(b"".join(out))
    return path


def test_coverage_counts_vocabulary_words_and_running_tokens_exactly(tmp_path: Path) -> None:
    v = vocab()
    pretrained = read_vectors(write_text(tmp_path / "v.vec", VECTORS), v.itos)
    cover = coverage(pretrained, v.itos, token_counts(TEXTS))
    # good (exact), food (from "Food", folded), bad (exact): 3 of 6 words
    assert (cover.words, cover.found_words) == (6, 3)
    assert cover.vocab_share == pytest.approx(0.5)
    # running tokens: good 2 + food 2 + bad 1 = 5 of 9
    assert (cover.tokens, cover.found_tokens) == (9, 5)
    assert cover.token_share == pytest.approx(5 / 9)
    assert set(cover.missing) == {"staff", "slow", "unknown"}
    assert "3 of 6 vocabulary words (50.0%)" in cover.describe()


def test_vectors_land_in_their_vocabulary_rows(tmp_path: Path) -> None:
    v = vocab()
    pretrained = read_vectors(write_text(tmp_path / "v.vec", VECTORS), v.itos)
    assert pretrained.dim == 3
    assert pretrained.matrix[v.stoi["good"]].tolist() == [1.0, 2.0, 3.0]
    assert pretrained.matrix[v.stoi["food"]].tolist() == [0.5, -1.0, 0.25]
    assert pretrained.matrix[v.stoi["bad"]].tolist() == [-1.0, -2.0, -3.0]
    assert pretrained.found.tolist() == [v.itos[i] in {"good", "food", "bad"}
                                         for i in range(len(v))]
    embedding = torch.nn.Embedding(len(v), 3, padding_idx=0)
    initialise_embedding(embedding, pretrained, seed=1)
    assert embedding.weight[v.stoi["good"]].tolist() == [1.0, 2.0, 3.0]
    assert embedding.weight[0].abs().sum() == 0  # padding stays zero
    assert embedding.weight[v.stoi["slow"]].abs().sum() > 0  # random start for the rest


def test_an_exact_match_beats_a_folded_one_whatever_the_order(tmp_path: Path) -> None:
    v = vocab()
    vectors = {"GOOD": [7.0, 7.0, 7.0], "good": [1.0, 2.0, 3.0], "Bad": [5.0, 5.0, 5.0],
               "bad": [-1.0, -2.0, -3.0]}
    pretrained = read_vectors(write_text(tmp_path / "v.vec", vectors), v.itos)
    assert pretrained.matrix[v.stoi["good"]].tolist() == [1.0, 2.0, 3.0]
    assert pretrained.matrix[v.stoi["bad"]].tolist() == [-1.0, -2.0, -3.0]


@pytest.mark.parametrize("name", ["v.txt", "v.vec.gz", "glove.txt"])
def test_binary_text_gzip_and_headerless_files_agree(tmp_path: Path, name: str) -> None:
    v = vocab()
    binary = read_vectors(write_binary(tmp_path / "v.bin", VECTORS), v.itos)
    assert binary.report is not None and binary.report.format == "binary"
    other = read_vectors(write_text(tmp_path / name, VECTORS, header=name != "glove.txt"),
                         v.itos)
    assert other.report is not None and other.report.format == "text"
    assert np.array_equal(binary.matrix, other.matrix)
    assert np.array_equal(binary.found, other.found)
    assert binary.report.vectors == other.report.vectors == 4


def test_binary_without_trailing_newlines_and_detected_without_extension(tmp_path: Path) -> None:
    v = vocab()
    blob = b"2 3\n" + b"good " + struct.pack("<3f", 1, 2, 3) + b"bad " + struct.pack(
        "<3f", -1, -2, -3)
    path = tmp_path / "vectors.w2v"
    path.write_bytes(blob)
    pretrained = read_vectors(path, v.itos)
    assert pretrained.report is not None and pretrained.report.format == "binary"
    assert pretrained.matrix[v.stoi["bad"]].tolist() == [-1.0, -2.0, -3.0]


def test_frozen_rows_stay_unchanged_and_thaw_after_n_epochs(tmp_path: Path) -> None:
    dataset = sentiment_dataset(60, 20, 20)
    words = {"good": [0.3] * 12, "bad": [-0.3] * 12, "food": [0.1] * 12}
    lines = [f"{w} {' '.join(map(str, vec))}" for w, vec in words.items()]
    path = tmp_path / "v.vec"
    path.write_text("3 12\n" + "\n".join(lines) + "\n", encoding="utf-8")

    def run(freeze: int, epochs: int):
        config = quick_train_config(epochs=epochs, embeddings=str(path),
                                    freeze_embeddings=freeze, weight_decay=0.01,
                                    optimizer="adamw", restore_best=False)
        return train_model(dataset, VocabConfig(), small_model_config(), config,
                           record_run=False)

    result = run(freeze=2, epochs=2)
    weight = result.bundle.model.embedding.weight.detach()
    stoi = result.bundle.vocab.stoi
    for word, vec in words.items():  # bit for bit, despite Adam and weight decay
        assert torch.equal(weight[stoi[word]], torch.tensor(vec, dtype=torch.float32))
    thawed = run(freeze=1, epochs=2).bundle.model.embedding.weight.detach()
    assert not torch.equal(thawed[stoi["good"]], weight[stoi["good"]])  # learned in epoch 2
    unfrozen = run(freeze=0, epochs=1).bundle.model.embedding.weight.detach()
    assert not torch.equal(unfrozen[stoi["good"]], weight[stoi["good"]])
    coverage_info = result.quality["embeddings"]["coverage"]
    assert coverage_info["found_words"] == 3 and result.quality["embeddings"]["frozen_epochs"] == 2


def test_vectors_are_saved_in_the_model_file(tmp_path: Path) -> None:
    from lstm_studio.core.checkpoint import load_checkpoint, save_checkpoint

    path = write_text(tmp_path / "v.vec", {"good": [0.5] * 3})
    result = train_model(sentiment_dataset(40, 10, 10), VocabConfig(),
                         small_model_config(embedding_dim=16),
                         quick_train_config(epochs=1, embeddings=str(path),
                                            freeze_embeddings=1), record_run=False)
    assert result.bundle.model_config.embedding_dim == 3  # the file's size wins
    assert "Embedding size set to 3" in result.message
    loaded = load_checkpoint(save_checkpoint(result.bundle, tmp_path / "m.safetensors"))
    row = loaded.vocab.stoi["good"]
    assert loaded.model.embedding.weight[row].tolist() == [0.5, 0.5, 0.5]


# --- broken files: clear sentences with counts -------------------------------------------

def test_wrong_dimension_on_some_lines_is_counted_and_skipped(tmp_path: Path) -> None:
    path = write_text(tmp_path / "v.vec", VECTORS,
                      extra_lines=(b"slow 1.0 2.0", b"staff 1 2 3 4"))
    pretrained = read_vectors(path, vocab().itos)
    report = pretrained.report
    assert report is not None and report.wrong_dimension == 2
    assert not pretrained.found[vocab().stoi["slow"]]
    notes = " ".join(report.notes())
    assert "2 line(s) of v.vec have the wrong number of values (expected 3; line 6 has 2)" \
        in notes


def test_a_lying_header_is_reported_with_both_counts(tmp_path: Path) -> None:
    pretrained = read_vectors(write_text(tmp_path / "v.vec", VECTORS, declared=1000),
                              vocab().itos)
    assert pretrained.report is not None
    assert ("The header of v.vec announces 1,000 vectors but the file holds 4."
            in pretrained.report.notes())


def test_non_utf8_words_are_counted(tmp_path: Path) -> None:
    path = write_text(tmp_path / "v.vec", VECTORS, extra_lines=(b"caf\xe9 1 2 3",
                                                                 b"\xff\xfe 4 5 6"))
    report = read_vectors(path, vocab().itos).report
    assert report is not None and report.undecodable == 2
    assert "2 word(s) of v.vec are not valid UTF-8" in " ".join(report.notes())


def test_bad_numbers_are_counted(tmp_path: Path) -> None:
    path = write_text(tmp_path / "v.vec", VECTORS, extra_lines=(b"slow 1 x 3", b"staff 1 nan 3"))
    report = read_vectors(path, vocab().itos).report
    assert report is not None and report.bad_numbers == 2


def test_no_vocabulary_word_found_is_an_error_with_counts(tmp_path: Path) -> None:
    path = write_text(tmp_path / "v.vec", {"elsewhere": [1.0, 2.0, 3.0],
                                            "nowhere": [1.0, 1.0, 1.0]})
    with pytest.raises(EmbeddingError, match=r"None of the 6 vocabulary words has a vector "
                                             r"in v.vec \(it holds 2 vectors for other words\)"):
        read_vectors(path, vocab().itos)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"2 3\nword 1 2\nother 1 2\n", r"No usable vector in v.vec: 2 line\(s\) of v.vec have "
                                     r"the wrong number of values \(expected 3; line 2 has 2\)"),
    (b"4 3\ngood 1 2 3\nx 1\ny 1\nz 1\n", r"3 of 4 lines of v.vec are broken"),
    (b"1 999999\n", "at most 2048"),
    (b"hello\n", "does not start like a word-vector file"),
])
def test_unusable_files_are_refused_in_one_sentence(tmp_path: Path, content: bytes,
                                                    message: str) -> None:
    path = tmp_path / "v.vec"
    path.write_bytes(content)
    with pytest.raises(EmbeddingError, match=message):
        read_vectors(path, vocab().itos)


def test_truncated_binary_and_broken_gzip(tmp_path: Path) -> None:
    path = write_binary(tmp_path / "v.bin", VECTORS)
    path.write_bytes(path.read_bytes()[:-7])
    report = read_vectors(path, vocab().itos).report
    assert report is not None and report.truncated and report.vectors == 3
    assert any("truncated" in note for note in report.notes())
    broken = tmp_path / "v.vec.gz"
    broken.write_bytes(gzip.compress(b"2 3\ngood 1 2 3\nbad 1 2 3\n")[:-10])
    with pytest.raises(EmbeddingError, match="not a complete gzip file"):
        read_vectors(broken, vocab().itos)


def test_cli_reports_a_bad_vector_file_in_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    data = tmp_path / "train.txt"
    data.write_text("__label__pos good food\n__label__neg bad food\n" * 5, encoding="utf-8")
    vectors = write_text(tmp_path / "v.vec", {"nothing": [1.0, 2.0, 3.0]})
    code = main(["train", str(data), "--lang", "any", "--embeddings", str(vectors),
                 "--epochs", "1", "--no-record", "--out", str(tmp_path / "m.safetensors")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("lstm-studio: error: None of the")
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_1gb_vector_file_streams_with_peak_memory_under_twice_the_matrix(
        tmp_path: Path) -> None:
    import sys

    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from Linux /proc")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from bench_embeddings import measure

    figures = measure(1.0, 300, 50_000, 0.8, binary=False, compress=False, folder=tmp_path)
    assert figures["file_bytes"] >= 1024**3 * 0.95
    assert figures["found"] == 40_000
    assert figures["ratio"] < 2.0, figures
