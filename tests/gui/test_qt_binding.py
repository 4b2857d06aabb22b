"""Guard against Qt bindings that leak references to None (PySide6 6.12.0 on CPython < 3.12).

Such a binding drops one reference to None on every void method call; after a few thousand
calls CPython aborts the whole app with "none_dealloc". pyproject.toml excludes 6.12; this test
fails loudly if an installed binding has the bug again. It runs in a subprocess so a crash
cannot take the test session with it.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QObject, Signal

class Emitter(QObject):
    flag = Signal(bool)

obj = Emitter()
obj.flag.connect(lambda value: None)
before = [sys.getrefcount(x) for x in (None, True, False)]
for index in range(2000):
    obj.setObjectName("probe")
    obj.flag.emit(index % 2 == 0)
after = [sys.getrefcount(x) for x in (None, True, False)]
print(max(abs(a - b) for a, b in zip(after, before)))
"""


def test_void_qt_calls_keep_none_references() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-500:]
    assert abs(int(result.stdout.strip())) < 100
