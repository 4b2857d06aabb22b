"""Configs from hand-edited data: wrong-typed fields fall back to defaults, the rest is kept."""

from __future__ import annotations

import dataclasses

import pytest

from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
    config_from_dict,
    config_to_dict,
)


def config_from_untrusted(cls: type, data: object) -> tuple[object, list[str]]:
    refused: list[str] = []
    return config_from_dict(cls, data, refused=refused), refused  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [DataConfig, CleaningConfig, VocabConfig, ModelConfig,
                                 TrainConfig])
def test_a_saved_config_comes_back_equal(cls: type) -> None:
    config = cls()
    assert config_from_untrusted(cls, config_to_dict(config)) == (config, [])


def test_changed_values_of_the_right_type_are_kept() -> None:
    saved = config_to_dict(CleaningConfig(threshold=0.5, languages=["vi", "en"],
                                          candidate_languages=["vi", "en", "fr"],
                                          steps={"lowercase": False}))
    config, refused = config_from_untrusted(CleaningConfig, saved)
    assert refused == []
    assert config.threshold == 0.5 and config.languages == ["vi", "en"]
    assert config.candidate_languages == ["vi", "en", "fr"]
    assert config.steps == {"lowercase": False}


def test_wrong_types_fall_back_field_by_field() -> None:
    saved = {"threshold": "high", "languages": ["vi", 3], "drop_empty": "yes",
             "detect_language": False, "steps": {"lowercase": "no"}}
    config, refused = config_from_untrusted(CleaningConfig, saved)
    default = CleaningConfig()
    assert sorted(refused) == ["drop_empty", "languages", "steps", "threshold"]
    assert config.threshold == default.threshold and config.languages == default.languages
    assert config.drop_empty is True and config.steps == default.steps
    assert config.detect_language is False  # the one good field survives


def test_numbers_bools_and_optionals_are_told_apart() -> None:
    config, refused = config_from_untrusted(
        TrainConfig, {"epochs": True, "lr": 0.01, "batch_size": 32.5, "grad_clip": None,
                      "early_stopping": 3, "weight_decay": 1, "time_budget_s": float("nan")})
    assert sorted(refused) == ["batch_size", "epochs", "time_budget_s"]
    assert config.epochs == TrainConfig().epochs and config.batch_size == 64
    assert config.lr == 0.01 and config.grad_clip is None and config.early_stopping == 3
    assert config.weight_decay == 1.0 and isinstance(config.weight_decay, float)


def test_tuples_come_back_from_json_lists() -> None:
    config, refused = config_from_untrusted(DataConfig, {"random_split": [0.6, 0.2, 0.2]})
    assert config.random_split == (0.6, 0.2, 0.2) and refused == []
    config, refused = config_from_untrusted(DataConfig, {"random_split": [0.6, 0.4]})
    assert config.random_split is None and refused == ["random_split"]


@pytest.mark.parametrize("data", [None, [], "garbage", 7])
def test_anything_but_a_dict_gives_the_defaults(data: object) -> None:
    config, refused = config_from_untrusted(VocabConfig, data)
    assert config == VocabConfig()
    assert refused == ([] if data is None else ["(the whole entry)"])


def test_unknown_keys_from_newer_versions_are_ignored() -> None:
    config, refused = config_from_untrusted(VocabConfig, {"min_freq": 4, "future_field": 1})
    assert config.min_freq == 4 and refused == []
    assert "future_field" not in dataclasses.asdict(config)
