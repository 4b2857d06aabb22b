"""One dataclass config per concern, all JSON-serialisable, and the rules that say which are valid.

Checkpoints, projects and the run store save these as JSON so a model can be rebuilt and its
preprocessing replayed exactly. `config_from_dict` ignores unknown keys and fills missing ones
with defaults, so files written by older or newer versions keep loading.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lstm_studio.core.errors import ConfigError
from lstm_studio.core.limits import InputLimits

T = TypeVar("T")

# Every text step, in the order it runs. The lecture's six steps keep their order; the
# Vietnamese steps (issue 12) sit where they work best: abbreviations and tone marks once the
# markup is gone, and segmentation before punctuation and case are removed, because pyvi uses
# both as clues (measured in docs/vietnamese.md: 84.7% of NTC-SCV's compounds recovered
# before, 82.7% after).
CLEANING_STEPS: tuple[str, ...] = (
    "normalize_unicode",  # Unicode NFC
    "remove_urls_html",  # URLs and HTML tags, tokenised leftovers included
    "expand_abbreviations",  # chat abbreviations and teencode from a table ("ko" -> "không")
    "normalize_tone_marks",  # one tone-mark placement ("hòa" / "hoà")
    "segment_words",  # join the syllables of a word with "_" (pyvi)
    "remove_punctuation_digits",  # punctuation and digits, keeping word-joining underscores
    "remove_emoji",  # emoji, emoticons, flags, pictographs
    "normalize_whitespace",
    "lowercase",
)
LECTURE_STEPS: tuple[str, ...] = (
    "normalize_unicode", "remove_urls_html", "remove_punctuation_digits", "remove_emoji",
    "normalize_whitespace", "lowercase",
)
# Segmentation is switched by `CleaningConfig.segment` (auto/on/off), not by a checkbox, so it
# is the one step that has no entry in `CleaningConfig.steps`.
SEGMENT_STEP = "segment_words"
TOGGLED_STEPS: tuple[str, ...] = tuple(s for s in CLEANING_STEPS if s != SEGMENT_STEP)
SEGMENT_MODES: tuple[str, ...] = ("auto", "on", "off")
TONE_STYLES: tuple[str, ...] = ("new", "old")  # new: hoà, thuý; old: hòa, thúy

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru")
NONLINEARITIES: tuple[str, ...] = ("tanh", "relu")
POOLINGS: tuple[str, ...] = ("last", "mean", "max")
TASKS: tuple[str, ...] = ("classify", "lm")
OPTIMIZERS: tuple[str, ...] = ("adam", "adamw", "sgd")
ON_NAN: tuple[str, ...] = ("stop", "backoff")
CLASS_WEIGHTS: tuple[str, ...] = ("none", "balanced", "effective")
# "auto": macro-F1 when the training split is imbalanced, accuracy otherwise (classifiers);
# validation loss for language models. See core/class_balance.resolve_selection.
SELECTIONS: tuple[str, ...] = ("auto", "loss", "accuracy", "macro_f1")


@dataclass
class DataConfig:
    """Which sources were loaded and how their splits were decided."""

    sources: list[str] = field(default_factory=list)
    split_overrides: dict[str, str] = field(default_factory=dict)  # source path -> split
    encoding: str | None = None  # None: UTF-8 / UTF-16 by BOM
    text_column: str | None = None
    label_column: str | None = None
    # Random stratified re-split; None keeps the sources' own splits.
    random_split: tuple[float, float, float] | None = None
    random_split_seed: int = 0
    limits: InputLimits = field(default_factory=InputLimits)  # what one load may cost
    # Train from the on-disk token store (core/corpus/): "on", "off", or "auto" (on for
    # sources of at least core.corpus.choice.STORE_AUTO_BYTES on disk).
    store: str = "auto"


@dataclass
class CleaningConfig:
    """Text steps (applied to every document and, later, to every typed text) and the
    dataset filters (language, empty) that drop training documents.

    A stored config that lacks a step key has that step off, and one without `segment` does
    not segment: files written before a step existed replay exactly what they did then.
    """

    steps: dict[str, bool] = field(default_factory=lambda: {s: True for s in TOGGLED_STEPS})
    detect_language: bool = True
    languages: list[str] = field(default_factory=lambda: ["vi"])
    threshold: float = 0.9  # minimum normalised langid probability to keep a document
    candidate_languages: list[str] | None = None  # langid.set_languages restriction
    drop_empty: bool = True
    # Word segmentation: "auto" decides per corpus (on when it is mostly Vietnamese); cleaning
    # stores its decision ("on"/"off") in the config it returns, which is what a model keeps.
    segment: str = "auto"
    segmenter: str | None = None  # "pyvi 0.1.1": filled in by cleaning when it segmented
    tone_style: str = "new"
    abbreviations: dict[str, str] | None = None  # None: the shipped table (resolved by cleaning)
    # The language filter judges texts shorter than this many words by the short-text rules
    # (langid alone is unreliable on 1-4 words); see core/language_rules.py.
    short_text_words: int = 5
    # Filters drop documents from these splits only: the test split is always scored whole.
    filter_splits: list[str] = field(default_factory=lambda: ["train"])


@dataclass
class VocabConfig:
    min_freq: int = 1
    max_size: int | None = 20000
    max_len: int | None = None  # None: suggested (p95 of training lengths)
    lm_specials: bool = False  # add <bos>/<eos> for language modelling


@dataclass
class ModelConfig:
    task: str = "classify"
    cell: str = "lstm"
    nonlinearity: str = "tanh"  # rnn only
    embedding_dim: int = 128
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    pooling: str = "last"
    tie_weights: bool = False  # lm only; needs embedding_dim == hidden_size
    vocab_size: int = 0  # filled from the vocabulary
    num_classes: int = 0  # filled from the dataset (classify)


@dataclass
class TrainConfig:
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    plateau_schedule: bool = False
    plateau_factor: float = 0.5
    plateau_patience: int = 1
    batch_size: int = 64
    epochs: int = 5
    grad_clip: float | None = 1.0
    early_stopping: int | None = None  # patience in epochs; None disables
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None
    max_len: int | None = None  # truncate longer sequences (None: the vocabulary's max_len)
    momentum: float = 0.0  # sgd only
    restore_best: bool = True  # end with the best validated epoch's weights
    time_budget_s: float | None = None  # stop (after validating) once training took this long
    # A NaN/infinite loss restores the last verified weights, then stops or lowers the rate.
    on_nan: str = "stop"  # "stop" | "backoff"
    nan_retries: int = 3  # backoff: how many times the rate may be lowered before stopping
    nan_backoff: float = 0.1  # backoff: the factor applied to the learning rate each time
    # --- quality (core/class_balance.py, embeddings.py, calibration.py) ---
    class_weight: str = "none"  # loss weights per class: none, balanced, effective
    oversample: bool = False  # repeat small classes' documents up to the largest class
    select: str = "auto"  # the metric that keeps the best epoch, stops early, drives plateau
    embeddings: str | None = None  # word2vec/fastText vector file to start the embedding from
    word2vec: bool = False  # train word2vec on the training split first and start from it
    freeze_embeddings: int = 0  # epochs during which rows with a pretrained vector stay fixed
    temperature_scaling: bool = False  # fit a softmax temperature on validation, store it
    tune_threshold: bool = False  # two classes: pick the decision threshold on validation


# --- validation: the one place that says which settings can work -----------------------

def validate_model(config: ModelConfig) -> None:
    """Raise ConfigError (one sentence) for settings that cannot make a working model."""
    if config.task not in TASKS:
        raise ConfigError(f"Unknown task {config.task!r}; choose one of {', '.join(TASKS)}.")
    if config.cell not in CELLS:
        raise ConfigError(f"Unknown cell {config.cell!r}; choose one of {', '.join(CELLS)}.")
    if config.nonlinearity not in NONLINEARITIES:
        raise ConfigError(f"Unknown nonlinearity {config.nonlinearity!r}; choose tanh or relu.")
    if config.nonlinearity != "tanh" and config.cell != "rnn":
        raise ConfigError(
            f"The {config.nonlinearity} nonlinearity only applies to the plain rnn cell; "
            f"{config.cell} cells use fixed sigmoid and tanh gates."
        )
    if config.pooling not in POOLINGS:
        raise ConfigError(
            f"Unknown pooling {config.pooling!r}; choose one of {', '.join(POOLINGS)}."
        )
    for name in ("embedding_dim", "hidden_size", "num_layers"):
        if int(getattr(config, name)) < 1:
            raise ConfigError(f"{name.replace('_', ' ').capitalize()} must be at least 1.")
    if not 0.0 <= config.dropout < 1.0:
        raise ConfigError("Dropout must be at least 0 and below 1.")
    if config.vocab_size < 2:
        raise ConfigError("The vocabulary is empty; the model needs at least one real word.")
    if config.task == "classify":
        if config.num_classes < 2:
            raise ConfigError("A classifier needs at least two labels in the training split.")
        if config.tie_weights:
            raise ConfigError("Tied weights only apply to language models.")
    else:
        if config.bidirectional:
            raise ConfigError(
                "A language model cannot be bidirectional: it would see the word it must predict."
            )
        if config.tie_weights and config.embedding_dim != config.hidden_size:
            raise ConfigError(
                "Tied weights need the embedding size to equal the hidden size "
                f"({config.embedding_dim} != {config.hidden_size})."
            )


def validate_cleaning(config: CleaningConfig) -> None:
    """Raise ConfigError (one sentence) for settings that cannot work."""
    unknown = sorted(set(config.steps) - set(TOGGLED_STEPS))
    if unknown:
        raise ConfigError(f"Unknown cleaning step {', '.join(unknown)}; the steps are "
                          f"{', '.join(TOGGLED_STEPS)}.")
    if config.segment not in SEGMENT_MODES:
        raise ConfigError(f"Word segmentation must be auto, on or off, not {config.segment!r}.")
    if config.tone_style not in TONE_STYLES:
        raise ConfigError(f"The tone-mark style must be new (hoà) or old (hòa), not "
                          f"{config.tone_style!r}.")
    if int(config.short_text_words) < 1:
        raise ConfigError("The short-text length must be at least 1 word.")
    bad_splits = sorted(set(config.filter_splits) - {"train", "valid"})
    if bad_splits:
        raise ConfigError(f"Filters may drop documents from train and valid only, not "
                          f"{', '.join(bad_splits)}: the test split is always scored whole.")
    if not 0.0 <= config.threshold <= 1.0:
        raise ConfigError(f"The language threshold must be between 0 and 1, not "
                          f"{config.threshold}.")
    if config.detect_language:
        if not config.languages:
            raise ConfigError("Choose at least one language to keep, or turn language "
                              "detection off.")
        candidates = config.candidate_languages
        if candidates and not set(config.languages) & set(candidates):
            raise ConfigError("None of the languages to keep is among the candidate "
                              "languages, so every document would be dropped.")
        from lstm_studio.core.language import check_languages

        check_languages([*config.languages, *(candidates or ())])


def validate_training(config: TrainConfig) -> None:
    """Raise ConfigError (one sentence) for training settings that cannot run."""
    if not (isinstance(config.lr, (int, float)) and math.isfinite(config.lr) and config.lr > 0):
        raise ConfigError("The learning rate must be a positive number.")
    if config.optimizer not in OPTIMIZERS:
        raise ConfigError(f"Unknown optimizer {config.optimizer!r}; choose one of "
                          f"{', '.join(OPTIMIZERS)}.")
    if int(config.batch_size) < 1:
        raise ConfigError("The batch size must be at least 1.")
    if int(config.epochs) < 1:
        raise ConfigError("Train for at least one epoch.")
    if config.weight_decay < 0:
        raise ConfigError("Weight decay cannot be negative.")
    if config.max_len is not None and int(config.max_len) < 1:
        raise ConfigError("The maximum length must be at least 1 token.")
    if config.on_nan not in ON_NAN:
        raise ConfigError(f"Unknown NaN policy {config.on_nan!r}; choose stop or backoff.")
    if int(config.nan_retries) < 0:
        raise ConfigError("The number of NaN retries cannot be negative.")
    if not 0.0 < config.nan_backoff < 1.0:
        raise ConfigError("The NaN backoff factor must be between 0 and 1 (e.g. 0.1).")
    if config.class_weight not in CLASS_WEIGHTS:
        raise ConfigError(f"Unknown class weighting {config.class_weight!r}; choose one of "
                          f"{', '.join(CLASS_WEIGHTS)}.")
    if config.select not in SELECTIONS:
        raise ConfigError(f"Unknown selection metric {config.select!r}; choose one of "
                          f"{', '.join(SELECTIONS)}.")
    if int(config.freeze_embeddings) < 0:
        raise ConfigError("The number of epochs with frozen embeddings cannot be negative.")
    if config.embeddings and config.word2vec:
        raise ConfigError("Choose either a vector file or word2vec on the training text, "
                          "not both.")
    if int(config.freeze_embeddings) and not (config.embeddings or config.word2vec):
        raise ConfigError("Freezing embeddings needs pretrained vectors (a vector file or "
                          "word2vec).")


def validate_model_settings(config: ModelConfig) -> None:
    """`validate_model` for settings not yet tied to data (a form, a project): the smallest
    valid vocabulary and label count stand in for the ones the data will bring."""
    validate_model(dataclasses.replace(config, vocab_size=max(config.vocab_size, 2),
                                       num_classes=max(config.num_classes, 2)))


def validate_limits(limits: InputLimits) -> None:
    """Raise ConfigError (one sentence) for budgets that cannot work."""
    for item in dataclasses.fields(limits):
        value = getattr(limits, item.name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ConfigError(f"The limit {item.name} must be a positive number.")
    if limits.max_ratio < 1:
        raise ConfigError("The archive expansion limit (max_ratio) must be at least 1.")


def validate_training_for_task(config: TrainConfig, task: str) -> None:
    """The training rules that depend on the task (classifier-only settings)."""
    validate_training(config)
    if task == "lm":
        for name, value, default in (("class weighting", config.class_weight, "none"),
                                     ("oversampling", config.oversample, False),
                                     ("temperature scaling", config.temperature_scaling, False),
                                     ("threshold tuning", config.tune_threshold, False)):
            if value != default:
                raise ConfigError(f"{name.capitalize()} only applies to classifiers, not "
                                  "language models.")
        if config.select in ("accuracy", "macro_f1"):
            raise ConfigError("A language model is selected by validation loss; accuracy and "
                              "macro-F1 only apply to classifiers.")


def validate_vocab(config: VocabConfig) -> None:
    """Raise ConfigError (one sentence) for vocabulary settings that cannot work."""
    if int(config.min_freq) < 1:
        raise ConfigError("The minimum frequency must be at least 1.")
    if config.max_size is not None and int(config.max_size) < 1:
        raise ConfigError("The vocabulary size limit must be at least 1 word.")
    if config.max_len is not None and int(config.max_len) < 1:
        raise ConfigError("The maximum length must be at least 1 token.")


PRESETS: dict[str, dict[str, Any]] = {
    # The lecture's RNNClassifier: embedding 200, hidden 50, one plain RNN layer.
    "Lecture RNN": {"cell": "rnn", "nonlinearity": "tanh", "embedding_dim": 200, "hidden_size": 50,
                    "num_layers": 1, "bidirectional": False},
    "LSTM": {"cell": "lstm", "embedding_dim": 200, "hidden_size": 128, "num_layers": 1,
             "bidirectional": False},
    "BiLSTM": {"cell": "lstm", "embedding_dim": 200, "hidden_size": 128, "num_layers": 1,
               "bidirectional": True},
    "GRU": {"cell": "gru", "embedding_dim": 200, "hidden_size": 128, "num_layers": 1,
            "bidirectional": False},
}


def config_to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_dict(cls: type[T], data: dict[str, Any] | None, strict: bool = False,
                     refused: list[str] | None = None) -> T:
    """Build `cls` from `data`, ignoring unknown keys and defaulting missing ones.

    Every value is checked against its field's type (JSON lists become tuples, nested
    configs are built the same way, numbers must be finite). A value of the wrong type falls
    back to the default (its field's name is added to `refused`, for a log line), or with
    `strict` (files from outside: projects, model files) raises ConfigError naming the
    setting, so a hand-edited "hidden_size": "big" never reaches a widget or torch.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        if strict:
            raise ConfigError(f"The {cls.__name__} settings are not a mapping.")
        if refused is not None:
            refused.append("(the whole entry)")
        data = {}
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        if item.name not in data:
            continue
        try:
            kwargs[item.name] = _conform(data[item.name], hints[item.name], strict)
        except (TypeError, ValueError) as error:
            if strict:
                raise ConfigError(f"The setting {item.name} should be {error}, not "
                                  f"{_shown(data[item.name])}.") from None
            if refused is not None:
                refused.append(item.name)
    return cls(**kwargs)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_KINDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def _conform(value: Any, hint: Any, strict: bool) -> Any:
    """`value` as type `hint`; TypeError('a whole number') names what was expected."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        expected = []
        for option in args:
            if option is type(None):
                continue
            try:
                return _conform(value, option, strict)
            except (TypeError, ValueError) as error:
                expected.append(str(error))
        raise TypeError(" or ".join(expected) + (" or null" if type(None) in args else ""))
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError("a mapping")
        return config_from_dict(hint, value, strict)  # type: ignore[arg-type]
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise TypeError("a list")
        return [_conform(item, args[0], strict) for item in value] if args else list(value)
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or (args and Ellipsis not in args
                                                    and len(value) != len(args)):
            raise TypeError(f"a list of {len(args)} values" if args else "a list")
        kinds = [args[0]] * len(value) if Ellipsis in args else list(args)
        return tuple(_conform(item, kind, strict) for item, kind in zip(value, kinds,
                                                                         strict=True))
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError("a mapping")
        key_type, value_type = args or (Any, Any)
        return {_conform(k, key_type, strict): _conform(v, value_type, strict)
                for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(_KINDS[bool])
        return value
    if hint is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(_KINDS[int])
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise TypeError(_KINDS[float])
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(_KINDS[str])
        return value
    return value  # Any and other hints: taken as they are
