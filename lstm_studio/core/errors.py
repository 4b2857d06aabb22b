"""Errors a user can cause, each carrying one sentence written for that user.

The CLI prints `str(error)` as a single line and exits non-zero; the GUI shows it in a dialog.
Anything that is not a UserError is a bug and is reported as such.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or request, explained in one clear sentence."""


class DataError(UserError):
    """A dataset source that cannot be read as asked (missing, empty, binary, undecodable...)."""


class ConfigError(UserError):
    """An invalid combination of settings (e.g. bidirectional language model)."""


class CheckpointError(UserError):
    """A model file that is corrupt, truncated, foreign or from an incompatible version."""


class TrainingError(UserError):
    """Training could not go on (e.g. the loss became NaN); the last good weights are kept."""


class RunInterrupted(UserError):
    """A data-parallel run cannot go on because another of its processes ended; the run is
    recorded as interrupted and its last checkpoint can be resumed."""


class MissingExtra(UserError):
    """An optional part (an `extras` dependency such as optuna or gensim) is not installed."""


class Cancelled(Exception):
    """Raised inside long work when the user asked it to stop; not an error to report."""
