"""The exported training script: one file that needs only torch (and langid or pyvi when the
run used them), cleans text as the app does, trains on the built-in sample and on
NTC-SCV-shaped archives, and on NTC-SCV itself lands within a point of the app's own run with
the app's default cleaning (slow)."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from export_fixtures import random_bundle
from train_fixtures import sentiment_documents

from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.cleaning_steps import apply_cleaning
from lstm_studio.core.config import (
    LECTURE_STEPS,
    TOGGLED_STEPS,
    CleaningConfig,
    DataConfig,
    VocabConfig,
)
from lstm_studio.core.export.common import ExportError
from lstm_studio.core.export.exporter import export_model
from lstm_studio.core.readers import load_sources
from lstm_studio.core.vocab import Vocabulary
from lstm_studio.resources_path import sample_paths

# The script may import torch and langid (and what they import), nothing of the app's.
BLOCKED = ("lstm_studio", "PySide6", "pyqtgraph", "safetensors")
GUARD = f"""
import runpy, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
"""


def run_script(script: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", GUARD, str(script), *args], cwd=script.parent,
                          capture_output=True, text=True, timeout=timeout)


def accuracy(output: str, split: str) -> float:
    match = re.search(rf"^{split} accuracy (\d\.\d+)", output, re.MULTILINE)
    assert match, output
    return float(match.group(1))


# The lecture's steps only: the script does not repeat the app's Vietnamese steps.
LECTURE_CLEANING = CleaningConfig(segment="off",
                                  steps={step: step in LECTURE_STEPS for step in TOGGLED_STEPS})


def test_script_trains_on_the_sample_like_the_app_reads_it(tmp_path: Path) -> None:
    bundle = random_bundle(max_len=60, cleaning=LECTURE_CLEANING, cell="gru", pooling="mean")
    bundle.labels = ["neg", "pos"]
    bundle.data_config = DataConfig(sources=sample_paths("reviews"))
    result = export_model(bundle, "script", tmp_path / "train_my_model.py")
    script = Path(result.files[0])
    text = script.read_text(encoding="utf-8")
    assert "'cell': 'gru'" in text and "'pooling': 'mean'" in text and "'max_len': 60" in text
    assert "(3) RNN variants: LSTM" in text and "langid" in text

    run = run_script(script, "--epochs", "2")
    assert run.returncode == 0, run.stderr
    assert len(re.findall(r"^epoch \d", run.stdout, re.MULTILINE)) == 2
    assert 0.0 <= accuracy(run.stdout, "validation") <= 1.0
    # Same documents kept per split and the same vocabulary as the app's own pipeline.
    dataset = load_sources(sample_paths("reviews"))
    cleaned = clean_dataset(dataset, LECTURE_CLEANING).dataset
    for split in ("train", "valid", "test"):
        assert (f"{split}: {len(cleaned.split(split))} of {len(dataset.split(split))} "
                "documents kept") in run.stdout
    vocab = Vocabulary.build([d.text for d in cleaned.split("train")], VocabConfig())
    assert f"vocabulary: {len(vocab)} tokens" in run.stdout


# Text the app's Vietnamese steps change: short forms by the punctuation around them, units
# after numbers, both tone-mark styles, split accents, emoticons, unsegmented and English text.
CHAT_TEXTS = [
    "ngon,ko đắt", "giá 50k, ship 2 k", "Ko ngon", "KO NGON LẮM", "hòa bình, thủy tinh, hoàn",
    "hoàn toàn tốt k?", "nhân viên thân thiện, phục vụ nhanh", "The staff was nice",
    "quán này ok lắm 😀 k bt :v", "Qua ́ n na ̀ y ngon", "quý khách hòa nhã", "uk dc r :D",
    "Nhân Viên phục vụ", "món ăn\\nngon", "đã segment_sẵn rồi nhân viên",
]


@pytest.mark.parametrize("tone_style", ["new", "old"])
def test_script_cleans_text_as_the_app_does(tmp_path: Path, tone_style: str) -> None:
    """The exported cleaning, read from the script itself, against the app's on every sample
    review and on chat text: abbreviations, tone marks and pyvi segmentation included."""
    pytest.importorskip("pyvi")
    cleaning = CleaningConfig(segment="on", tone_style=tone_style)
    bundle = random_bundle(cleaning=cleaning)
    export_model(bundle, "script", tmp_path / "train.py")
    assert "and pyvi (this run segmented words)" in (tmp_path / "train.py").read_text("utf-8")
    script = runpy.run_path(str(tmp_path / "train.py"), run_name="exported_script")
    texts = [d.text for d in load_sources(sample_paths("reviews")).documents] + CHAT_TEXTS
    differing = {text: (script["clean"](text), apply_cleaning(text, cleaning))
                 for text in texts if script["clean"](text) != apply_cleaning(text, cleaning)}
    assert differing == {}
    assert script["clean"]("hòa, ko") == ("hòa không" if tone_style == "old" else "hoà không")


def test_script_repeats_the_apps_run_on_the_sample(tmp_path: Path) -> None:
    """Same cleaning, vocabulary, initial weights, batches, class weights and selection: the
    script's epochs print the app's own figures."""
    from lstm_studio.core.config import ModelConfig, TrainConfig
    from lstm_studio.core.pipeline import train_model

    data_config = DataConfig(sources=sample_paths("reviews"))
    cleaned = clean_dataset(load_sources(data_config.sources, data_config),
                            CleaningConfig(detect_language=False))
    app = train_model(cleaned.dataset, VocabConfig(),
                      ModelConfig(cell="gru", embedding_dim=16, hidden_size=12, pooling="mean"),
                      TrainConfig(epochs=4, batch_size=16, max_len=40, seed=3, threads=1,
                                  lr=0.01, class_weight="balanced", select="macro_f1",
                                  plateau_schedule=True, plateau_patience=0),
                      cleaned.config, data_config, record_run=False)
    export_model(app.bundle, "script", tmp_path / "train.py")
    run = run_script(tmp_path / "train.py")
    assert run.returncode == 0, run.stderr
    assert "best epoch chosen by validation macro-f1; class weights [" in run.stdout
    printed = re.findall(r"^epoch \d+: train loss (\S+) .* valid loss (\S+) +valid accuracy "
                         r"(\S+) +macro-F1 (\S+)$", run.stdout, re.MULTILINE)
    expected = [(f"{e['train_loss']:.4f}", f"{e['valid_loss']:.4f}",
                 f"{e['valid_accuracy']:.4f}", f"{e['valid_macro_f1']:.4f}")
                for e in app.history]
    assert printed == expected
    assert f"test accuracy {app.test['accuracy']:.4f}" in run.stdout


def write_tree_zip(path: Path, top: str, folders: dict[str, list]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for folder, docs in folders.items():
            for i, doc in enumerate(docs):
                archive.writestr(f"{top}/{folder}/{doc.label}/{i}.txt", doc.text)


def test_script_reads_other_data_given_on_the_command_line(tmp_path: Path) -> None:
    """NTC-SCV's layout: the train archive's test/ becomes validation, the test archive's
    test/ is the test split."""
    write_tree_zip(tmp_path / "data_train.zip", "data_train",
                   {"train": sentiment_documents(80, 1), "test": sentiment_documents(20, 2)})
    write_tree_zip(tmp_path / "data_test.zip", "data_test", {"test": sentiment_documents(30, 3)})
    bundle = random_bundle(cleaning=None, max_len=20, cell="lstm", bidirectional=True,
                           pooling="max")  # the packed path of the script
    bundle.labels = ["neg", "pos"]
    bundle.train_config.class_weight = "balanced"
    bundle.train_config.select = "macro_f1"
    export_model(bundle, "script", tmp_path / "train.py")
    run = run_script(tmp_path / "train.py", "data_train.zip", "data_test.zip", "--epochs", "1")
    assert run.returncode == 0, run.stderr
    assert "best epoch chosen by validation macro-f1; class weights [" in run.stdout
    assert "train: 80 of 80" in run.stdout and "valid: 20 of 20" in run.stdout
    assert "test: 30 of 30" in run.stdout and "labels ['neg', 'pos']" in run.stdout
    assert 0.0 <= accuracy(run.stdout, "test") <= 1.0


def test_script_export_refuses_a_language_model(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="covers classifiers"):
        export_model(random_bundle("lm"), "script", tmp_path / "lm.py")
    assert not (tmp_path / "lm.py").exists()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_script_on_ntc_scv_is_within_one_point_of_the_app(ntc_scv_zips: list[Path],
                                                          tmp_path: Path) -> None:
    from lstm_studio.core.config import ModelConfig, TrainConfig
    from lstm_studio.core.pipeline import train_model

    # The app's default steps (abbreviations, tone marks, segmentation as decided for the
    # corpus), language detection off: the script's langid (pure Python, one process) would
    # add many minutes on 50,000 reviews; the sample test above covers that path. One thread
    # each, so the two runs do the same work on a shared machine.
    cleaning = CleaningConfig(detect_language=False)
    data_config = DataConfig(sources=[str(p) for p in ntc_scv_zips])
    dataset = load_sources(data_config.sources, data_config)
    cleaned = clean_dataset(dataset, cleaning)  # its config holds segmentation as decided
    assert cleaned.config.segment == "on"
    app = train_model(cleaned.dataset, VocabConfig(max_size=20000),
                      ModelConfig(cell="lstm", embedding_dim=64, hidden_size=64),
                      TrainConfig(epochs=2, batch_size=64, max_len=100, seed=0, threads=1),
                      cleaned.config, data_config, record_run=False)
    export_model(app.bundle, "script", tmp_path / "train_ntc.py")
    run = run_script(tmp_path / "train_ntc.py", timeout=1500)
    assert run.returncode == 0, run.stderr
    print(run.stdout)
    script_valid = accuracy(run.stdout, "validation")
    script_test = accuracy(run.stdout, "test")
    print(f"app valid {app.valid['accuracy']:.4f} test {app.test['accuracy']:.4f}; "
          f"script valid {script_valid:.4f} test {script_test:.4f}")
    assert abs(script_valid - app.valid["accuracy"]) <= 0.01
    assert abs(script_test - app.test["accuracy"]) <= 0.01


def test_zip_fixture_is_readable_by_the_app_too(tmp_path: Path) -> None:
    """The archives above are laid out as the app reads NTC-SCV (same split decision)."""
    write_tree_zip(tmp_path / "data_train.zip", "data_train",
                   {"train": sentiment_documents(8, 1), "test": sentiment_documents(4, 2)})
    write_tree_zip(tmp_path / "data_test.zip", "data_test", {"test": sentiment_documents(6, 3)})
    dataset = load_sources([str(tmp_path / "data_train.zip"), str(tmp_path / "data_test.zip")])
    assert [len(dataset.split(s)) for s in ("train", "valid", "test")] == [8, 4, 6]


def test_script_builds_the_apps_initial_weights_and_batches(tmp_path: Path) -> None:
    """Same seed, same module order, same bucketing: the script starts where the app does."""
    import runpy

    import torch

    from lstm_studio.core.batching import bucket_batches
    from lstm_studio.core.models import build_model

    bundle = random_bundle(cell="lstm", bidirectional=True, num_layers=2, dropout=0.1,
                           pooling="max")
    bundle.labels = ["neg", "pos"]
    bundle.model_config.num_classes = 2
    export_model(bundle, "script", tmp_path / "train.py")
    script = runpy.run_path(str(tmp_path / "train.py"), run_name="not_main")
    torch.manual_seed(3)
    theirs = script["RNNClassifier"](bundle.model_config.vocab_size, 2).state_dict()
    torch.manual_seed(3)
    ours = build_model(bundle.model_config).state_dict()
    renamed = {key.replace("head.", "linear."): value for key, value in ours.items()}
    assert theirs.keys() == renamed.keys()
    assert all(torch.equal(theirs[key], renamed[key]) for key in theirs)
    lengths = [(i * 7919) % 53 + 1 for i in range(500)]
    for epoch in (1, 2):
        assert script["make_batches"](lengths, 16, 5, epoch) == bucket_batches(
            lengths, 16, True, 5, epoch)


def test_generated_script_is_lint_clean(tmp_path: Path) -> None:
    """What students read should meet the project's own bar (pyflakes, pycodestyle, bugbear)."""
    pytest.importorskip("ruff")
    bundle = random_bundle(cleaning=CleaningConfig(), bidirectional=True)
    bundle.labels = ["neg", "pos"]
    export_model(bundle, "script", tmp_path / "train.py")
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--line-length",
                           "100", "--select", "E,F,W,B,UP,SIM", str(tmp_path / "train.py")],
                          capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout
