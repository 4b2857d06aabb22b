"""Qt-free core: data, cleaning, vocabulary, models, training, gate traces, checkpoints.

Nothing under this package may import PySide6, shiboken6 or pyqtgraph (tests/core/test_no_qt.py),
and importing it must not import torch: the GUI shows its window before torch is loaded.
"""
