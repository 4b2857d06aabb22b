"""Which torch device a run uses: a name from the settings ('cpu', 'cuda', 'mps', 'auto')
checked against what this machine has."""

from __future__ import annotations

import torch

from lstm_studio.core.errors import ConfigError


def resolve_device(name: str | None) -> torch.device:
    """'cpu', 'cuda', 'mps' or 'auto'; a device that is not there is a ConfigError."""
    name = (name or "cpu").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("Device cuda was asked for but no CUDA GPU is available; use cpu.")
    if name == "mps" and not (getattr(torch.backends, "mps", None)
                              and torch.backends.mps.is_available()):
        raise ConfigError("Device mps was asked for but Apple's MPS is not available; use cpu.")
    if name != "cpu" and not name.startswith("cuda") and name != "mps":
        raise ConfigError(f"Unknown device {name!r}; choose cpu, cuda, mps or auto.")
    return torch.device(name)


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    return devices
