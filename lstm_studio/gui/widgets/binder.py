"""Bind form widgets to the fields of one dataclass config, by field name.

A form declares which widget shows which field once (`binder.bind("hidden_size", spin)`);
reading the form (`binder.config()`) and filling it (`binder.set_config(config)`) then need no
per-field code, so a new config field costs one line in one place. Fields the form does not
show keep the value of the config last set. Optional fields (`int | None`) map to a spin
box's minimum when that minimum shows a special text ("off", "auto"): the widget says "off",
the config says None.

Supported widgets: QSpinBox, QDoubleSpinBox, QCheckBox, QComboBox (item data is the value),
QLineEdit. A field that is not one widget's value (the cell combo that sets both `cell` and
`nonlinearity`) is bound with `bind_custom`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox, QWidget

C = TypeVar("C")


@dataclasses.dataclass
class _Binding:
    names: tuple[str, ...]
    read: Callable[[], dict[str, Any]]
    write: Callable[[Any], None]


def _optional_spin(widget: QSpinBox | QDoubleSpinBox) -> bool:
    return bool(widget.specialValueText())


def _read_widget(name: str, widget: QWidget, digits: int | None) -> Callable[[], dict[str, Any]]:
    if isinstance(widget, QCheckBox):
        return lambda: {name: widget.isChecked()}
    if isinstance(widget, QComboBox):
        return lambda: {name: widget.currentData()}
    if isinstance(widget, QLineEdit):
        return lambda: {name: widget.text()}
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        spin = widget

        def read_spin() -> dict[str, Any]:
            value: Any = spin.value()
            if _optional_spin(spin) and value == spin.minimum():
                return {name: None}
            if digits is not None:
                value = round(value, digits)
            return {name: value}

        return read_spin
    raise TypeError(f"binder: no rule for {type(widget).__name__}; use bind_custom")


def _write_widget(name: str, widget: QWidget) -> Callable[[Any], None]:
    def write(config: Any) -> None:
        value = getattr(config, name)
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            index = widget.findData(value)
            if index < 0 and value is not None:
                widget.addItem(str(value), value)  # e.g. a device this machine lacks
                index = widget.count() - 1
            widget.setCurrentIndex(max(index, 0))
        elif isinstance(widget, QLineEdit):
            widget.setText("" if value is None else str(value))
        elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            widget.setValue(widget.minimum() if value is None else value)  # type: ignore[arg-type]

    return write


def change_signal(widget: QWidget) -> SignalInstance:
    """The signal a widget emits when the user edits its value."""
    if isinstance(widget, QCheckBox):
        return widget.toggled
    if isinstance(widget, QComboBox):
        return widget.currentIndexChanged
    if isinstance(widget, QLineEdit):
        return widget.textChanged
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.valueChanged
    raise TypeError(f"binder: no change signal known for {type(widget).__name__}")


class FieldBinder(QObject, Generic[C]):
    """Widgets bound to one config dataclass; `changed` fires after any user edit."""

    changed = Signal()

    def __init__(self, initial: C, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if not dataclasses.is_dataclass(initial):
            raise TypeError("FieldBinder needs a dataclass instance")
        self._base: C = initial
        self._fields = {f.name for f in dataclasses.fields(initial)}  # type: ignore[arg-type]
        self._bindings: list[_Binding] = []
        self._loading = False

    def bind(self, name: str, widget: QWidget, digits: int | None = None) -> QWidget:
        """Show field `name` in `widget`; `digits` rounds a float spin box's value."""
        self._check(name)
        self._add(_Binding((name,), _read_widget(name, widget, digits),
                           _write_widget(name, widget)), widget)
        return widget

    def bind_custom(self, names: tuple[str, ...], widget: QWidget,
                    read: Callable[[], dict[str, Any]], write: Callable[[Any], None]) -> QWidget:
        """A widget that stands for several fields, or converts its value: `read()` returns
        {field: value} for `names`, `write(config)` shows a config."""
        for name in names:
            self._check(name)
        self._add(_Binding(names, read, write), widget)
        return widget

    def _check(self, name: str) -> None:
        if name not in self._fields:
            raise AttributeError(f"{type(self._base).__name__} has no field {name!r}")
        if any(name in binding.names for binding in self._bindings):
            raise ValueError(f"field {name!r} is bound twice")

    def _add(self, binding: _Binding, widget: QWidget) -> None:
        self._bindings.append(binding)
        change_signal(widget).connect(self._on_edit)

    def _on_edit(self, *_args: object) -> None:
        if not self._loading:
            self.changed.emit()

    def values(self) -> dict[str, Any]:
        """{field: value} for every bound field, as the widgets show them now."""
        out: dict[str, Any] = {}
        for binding in self._bindings:
            out.update(binding.read())
        return out

    def config(self) -> C:
        """The last set config with every bound field replaced by the widget's value."""
        return dataclasses.replace(self._base, **self.values())  # type: ignore[type-var]

    def set_config(self, config: C) -> None:
        """Show `config` in the widgets; `changed` fires once afterwards, not per widget."""
        self._base = config
        self._loading = True
        try:
            for binding in self._bindings:
                binding.write(config)
        finally:
            self._loading = False
        self.changed.emit()

    @property
    def loading(self) -> bool:
        """True while `set_config` fills the widgets (their signals are not edits)."""
        return self._loading
