"""A settings search with Optuna (the optional `search` extra): each trial is a recorded run.

The space is small and declared in one place (`SPACE`): cell and direction, hidden size,
layers, dropout, learning rate, batch size, pooling and class weighting. Optuna's TPE sampler
proposes settings; every trial is an ordinary `train_model` call with the run recorded in the
run store (named "<search> · trial N"), so the Compare view overlays the trials like any other
runs. A `PruneCallback` reports the selection metric of every validated epoch to Optuna and
stops a trial early (the run is kept, marked "stopped" with the reason) when the median
pruner judges it worse than earlier trials at the same epoch.

The time budget is honoured inside trials too: a trial's training stops at what is left of
the budget (after validating its epoch), and no trial starts once it is spent. Stopping the
search (its Progress) stops the running trial; the finished trials and the best settings so
far are returned. The score of a trial is its kept epoch's validation metric (the run's
selection metric: macro-F1 or accuracy for classifiers, -loss for language models).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from lstm_studio.core.callbacks import TrainerCallback
from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
    config_to_dict,
)
from lstm_studio.core.dataset import Dataset
from lstm_studio.core.errors import Cancelled, ConfigError, MissingExtra
from lstm_studio.core.progress import Progress

if TYPE_CHECKING:
    from lstm_studio.core.corpus.store import TokenStore

# name -> ("choice", options) | ("float", low, high) | ("log", low, high)
SPACE: dict[str, tuple] = {
    "cell": ("choice", ["lstm", "bilstm", "gru", "bigru"]),
    "hidden_size": ("choice", [64, 128, 256]),
    "num_layers": ("choice", [1, 2]),
    "dropout": ("float", 0.0, 0.5),
    "lr": ("log", 3e-4, 5e-3),
    "batch_size": ("choice", [32, 64, 128]),
    "pooling": ("choice", ["last", "mean", "max"]),
    "class_weight": ("choice", ["none", "balanced", "effective"]),
}
MIN_TRIAL_SECONDS = 1.0
_clock = time.monotonic  # the search's own clock (tests replace it, not the trainer's)


def require_optuna() -> Any:
    try:
        import optuna
    except ImportError as error:
        raise MissingExtra("The settings search needs the optional optuna package: "
                           "pip install 'lstm-studio[search]'.") from error
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


class Pruned(Cancelled):
    """Raised from the pruning callback: the trainer stops the run as it would on Stop."""


@dataclass
class Trial:
    number: int
    state: str  # "complete", "pruned", "stopped" or "failed"
    value: float | None  # the kept epoch's validation metric (None if none)
    params: dict[str, Any]
    run_id: str | None
    model_config: dict[str, Any]
    train_config: dict[str, Any]
    seconds: float
    epochs: int
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "state": self.state, "value": self.value,
                "params": self.params, "run_id": self.run_id, "seconds": round(self.seconds, 2),
                "epochs": self.epochs, "message": self.message,
                "model_config": self.model_config, "train_config": self.train_config}


@dataclass
class SearchResult:
    name: str
    metric: str  # what the values are: "macro_f1", "accuracy" or "-loss"
    trials: list[Trial] = field(default_factory=list)
    stopped: bool = False  # the user stopped it (finished trials kept)
    seconds: float = 0.0
    best_bundle: Any = None  # the best trial's ModelBundle (kept in memory)

    @property
    def best(self) -> Trial | None:
        done = [t for t in self.trials if t.state == "complete" and t.value is not None]
        return max(done, key=lambda t: t.value) if done else None  # type: ignore[arg-type,return-value]

    def best_configs(self) -> tuple[ModelConfig, TrainConfig] | None:
        from lstm_studio.core.config import config_from_dict

        best = self.best
        if best is None:
            return None
        return (config_from_dict(ModelConfig, best.model_config),
                config_from_dict(TrainConfig, best.train_config))

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return {"name": self.name, "metric": self.metric, "stopped": self.stopped,
                "seconds": round(self.seconds, 2),
                "best": best.to_dict() if best is not None else None,
                "trials": [t.to_dict() for t in self.trials]}


def suggest(trial: Any, task: str, space: dict[str, tuple] | None = None) -> dict[str, Any]:
    """Draw one point of `space` (default SPACE; class weighting and pooling only for
    classifiers, no bidirectional language model)."""
    params: dict[str, Any] = {}
    for name, spec in (space or SPACE).items():
        if task == "lm" and name in ("class_weight", "pooling"):
            continue
        kind = spec[0]
        options = spec[1]
        if name == "cell" and task == "lm":
            options = [cell for cell in options if not cell.startswith("bi")]
        if kind == "choice":
            params[name] = trial.suggest_categorical(name, options)
        elif kind == "float":  # steps of 0.01: what the form's spin box can show
            params[name] = trial.suggest_float(name, spec[1], spec[2], step=0.01)
        else:  # three significant digits, also what the form shows
            params[name] = float(f"{trial.suggest_float(name, spec[1], spec[2], log=True):.3g}")
    return params


def apply_params(model: ModelConfig, train: TrainConfig, params: dict[str, Any]
                 ) -> tuple[ModelConfig, TrainConfig]:
    """The base configs with a trial's parameters written into them."""
    model_fields: dict[str, Any] = {}
    train_fields: dict[str, Any] = {}
    for name, value in params.items():
        if name == "cell":
            model_fields["cell"] = value.removeprefix("bi")
            model_fields["bidirectional"] = value.startswith("bi")
            model_fields["nonlinearity"] = "tanh"
        elif name in ("hidden_size", "num_layers", "dropout", "pooling"):
            model_fields[name] = round(value, 2) if name == "dropout" else value
        elif name in ("lr", "batch_size", "class_weight"):
            train_fields[name] = float(f"{value:.3g}") if name == "lr" else value
        else:
            raise ConfigError(f"Unknown search parameter {name!r}.")
    return replace(model, **model_fields), replace(train, **train_fields)


class PruneCallback(TrainerCallback):
    """Reports each validated epoch's selection metric to Optuna; raises Pruned when told to."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial
        self.pruned_at: int | None = None

    def on_epoch_end(self, trainer: Any, entry: dict) -> None:
        metric = trainer.objective.selection
        key = {"macro_f1": "valid_macro_f1", "accuracy": "valid_accuracy"}.get(metric)
        value = entry.get(key) if key else None
        if value is None:
            value = -float(entry["valid_loss"])
        self.trial.report(float(value), entry["epoch"])
        last = entry["epoch"] >= int(trainer.config.epochs)  # done anyway: keep it whole
        if not last and self.trial.should_prune():
            self.pruned_at = entry["epoch"]
            raise Pruned()


def _score(result: Any) -> float | None:
    selection = result.quality.get("selection", {})
    epoch = selection.get("epoch")
    entry = next((h for h in result.history if h["epoch"] == epoch), None)
    if entry is None:
        return None
    metric = selection.get("metric")
    if metric == "macro_f1":
        return entry.get("valid_macro_f1")
    if metric == "accuracy":
        return entry.get("valid_accuracy")
    loss = entry.get("valid_loss")
    return -loss if loss is not None else None


def _mark(run_id: str | None, status: str, message: str) -> None:
    if not run_id:
        return
    from lstm_studio.core.runs import RunStore

    store = RunStore()
    record = store.get(run_id)
    if record is not None:
        record.status, record.message = status, message
        store.save(record)


def run_search(dataset: Dataset | TokenStore, vocab_config: VocabConfig, model_config: ModelConfig,
               train_config: TrainConfig, cleaning_config: CleaningConfig | None = None,
               data_config: DataConfig | None = None, *, trials: int = 10,
               budget_s: float | None = None, name: str = "search", seed: int = 0,
               progress: Progress | None = None,
               on_trial: Callable[[Trial], None] | None = None,
               space: dict[str, tuple] | None = None) -> SearchResult:
    """Run up to `trials` trials within `budget_s` seconds; see the module docstring.
    `space` replaces SPACE (same layout), e.g. to search smaller models."""
    optuna = require_optuna()
    from lstm_studio.core.pipeline import train_model

    if trials < 1:
        raise ConfigError("A search needs at least one trial.")
    if budget_s is not None and budget_s <= 0:
        raise ConfigError("The search's time budget must be positive.")
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1))
    task = model_config.task
    metric = "-loss" if task == "lm" else "auto"
    result = SearchResult(name, metric)
    started = _clock()
    for number in range(1, trials + 1):
        left = None if budget_s is None else budget_s - (_clock() - started)
        if left is not None and left < MIN_TRIAL_SECONDS:
            break
        if progress is not None and progress.cancelled:
            result.stopped = True
            break
        trial = study.ask()
        params = suggest(trial, task, space)
        model, train = apply_params(model_config, train_config, params)
        if left is not None:
            budget = min(left, train.time_budget_s or left)
            train = replace(train, time_budget_s=budget)
        prune = PruneCallback(trial)
        trial_started = _clock()
        try:
            outcome = train_model(dataset, vocab_config, model, train, cleaning_config,
                                  data_config, progress=progress, record_run=True,
                                  name=f"{name} · trial {number}", callbacks=[prune])
        except ConfigError as error:  # a combination the space allows but the data does not
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            entry = Trial(number, "failed", None, params, None, config_to_dict(model),
                          config_to_dict(train), _clock() - trial_started, 0,
                          str(error))
            result.trials.append(entry)
            if on_trial is not None:
                on_trial(entry)
            continue
        seconds = _clock() - trial_started
        value = _score(outcome)
        if result.metric == "auto":
            result.metric = outcome.quality.get("selection", {}).get("metric", "accuracy")
        if prune.pruned_at is not None:
            state = "pruned"
            message = (f"Pruned by the search after epoch {prune.pruned_at}: its validation "
                       "score was below the median of earlier trials at that epoch.")
            _mark(outcome.run_id, "stopped", message)
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif outcome.status == "stopped":
            state, message = "stopped", "Stopped by the user; the search ended here."
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        elif outcome.status == "failed" or value is None:
            state, message = "failed", outcome.message
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            state, message = "complete", outcome.message
            study.tell(trial, value)
        entry = Trial(number, state, value, params, outcome.run_id,
                      config_to_dict(outcome.bundle.model_config),
                      config_to_dict(_plain(outcome.bundle.train_config, train_config)),
                      seconds, outcome.epochs, message)
        result.trials.append(entry)
        best = result.best
        if best is entry:
            result.best_bundle = outcome.bundle
        if on_trial is not None:
            on_trial(entry)
        if state == "stopped":
            result.stopped = True
            break
    result.seconds = _clock() - started
    return result


def _plain(used: TrainConfig, base: TrainConfig) -> TrainConfig:
    """A trial's training settings as the user would re-run them: the search's time budget
    and the maximum length the run derived are put back to the base settings'."""
    return replace(used, time_budget_s=base.time_budget_s, max_len=base.max_len)


def train_flags(model: dict[str, Any], train: dict[str, Any]) -> str:
    """The best trial as `lstm-studio train` flags (for the CLI's summary)."""
    flags = [f"--cell {model['cell']}"]
    if model.get("bidirectional"):
        flags.append("--bidirectional")
    flags += [f"--embedding {model['embedding_dim']}", f"--hidden {model['hidden_size']}",
              f"--layers {model['num_layers']}", f"--dropout {model['dropout']}"]
    if model.get("task") == "classify":
        flags.append(f"--pooling {model['pooling']}")
        flags.append(f"--class-weight {train['class_weight']}")
    flags += [f"--lr {train['lr']}", f"--batch-size {train['batch_size']}",
              f"--epochs {train['epochs']}"]
    return " ".join(flags)
