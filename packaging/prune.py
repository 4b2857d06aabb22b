"""What the frozen app leaves out: one table of rules, used by the spec and checked by the tests.

A rule matches the destination path of a collected file inside the bundle (`torch/lib/...`,
`PySide6/Qt/plugins/...`), written with forward slashes and in lower case. Keeping the rules in
data rather than in spec code lets tests/packaging check them without running PyInstaller.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

# Torch ships its C++ SDK and test programs inside the wheel; the app only runs Python code.
TORCH_DROPS = (
    "torch/include/*",
    "torch/share/*",
    "torch/test/*",
    "torch/bin/*",  # test programs and protoc; torch_shm_manager is kept below
    "torch/lib/*test*",
    "torch/lib/libbackend_with_compiler*",
    "torch/lib/backend_with_compiler*",
    "torch/lib/*aoti_custom_ops*",
    "torch/lib/*.lib",
    "torch/_inductor/codegen/*.h",
    "*.h",
    "*.hpp",
    "*.cuh",
    "*.cpp",
    "*.pyi",
    "*.cmake",
    "*/__pycache__/*",
)
# `import torch` starts torch_shm_manager for tensors shared between processes.
TORCH_KEEPS = ("torch/bin/torch_shm_manager*",)

# Qt plugins by folder: the platforms a desktop needs (plus offscreen/minimal for headless runs),
# SVG/ICO images and SVG icons, X11 GL integration for pyqtgraph, input methods (IBus for typing
# Vietnamese), native styles. Everything else (Wayland, EGL devices, GTK theme, TLS, SQL, QML
# tooling, print support) pulls in libraries the app never calls.
QT_PLUGIN_KEEPS = {
    "platforms": ("*qoffscreen*", "*qminimal.*", "*qxcb*", "*qwindows*", "*qcocoa*"),
    "imageformats": ("*svg*", "*ico*", "*jpeg*"),
    "iconengines": ("*svg*",),
    "xcbglintegrations": ("*",),
    "platforminputcontexts": ("*",),
    "styles": ("*",),
}
QT_PLUGIN_ROOTS = ("pyside6/qt/plugins/", "pyside6/plugins/")

# Qt libraries only the dropped plugins and modules link against.
QT_LIB_DROPS = (
    "*qt6wayland*",
    "*qt6wl*",
    "*qt6eglfs*",
    "*qt6qml*",
    "*qt6quick*",
    "*qt6network*",
    "*qt6pdf*",
    "*qt6virtualkeyboard*",
    "*qt6designer*",
    "*qt6sql*",
    "*libgtk-3*",
    "*libgdk-3*",
    "*libgdk_pixbuf*",
    "*libatk*",
    "*libcairo*",
    "*libpango*",
    "*libharfbuzz-gobject*",
)
QT_DATA_DROPS = (
    "pyside6/qt/translations/*",
    "pyside6/translations/*",
    "pyside6/qt/qml/*",
    "pyside6/qml/*",
    "pyside6/qt/metatypes/*",
    "pyside6/qt/libexec/*",
    "pyside6/typesystems/*",
    "pyside6/glue/*",
    "pyside6/include/*",
)

# Python packages PyInstaller would follow from optional imports but the app never uses.
EXCLUDED_MODULES = (
    "tkinter",
    "_tkinter",
    "matplotlib",
    "captum",  # dev-only: the attribution cross-check test
    "IPython",
    "jupyter_client",
    "notebook",
    "pandas",
    "scipy",
    "sklearn",  # pyvi's CRF wrapper falls back to a plain base class without it
    # LGPL-2.1 word2vec extra: kept out of the installer (docs/models.md)
    "gensim",
    "smart_open",
    "PIL",
    "pytest",
    "hypothesis",
    "setuptools",
    "pip",
    "tensorboard",
    "torchvision",
    "torchaudio",
    "triton",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtNetwork",
    "PySide6.QtSql",
    "PySide6.QtDesigner",
    "PySide6.QtUiTools",
    "PySide6.QtHelp",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtDBus",
    "PySide6.scripts",
    "PyQt5",
    "PyQt6",
    "PySide2",
    # The optional `export` extra (ONNX export, lstm_studio.portable): about 110 MB that the
    # installer leaves out; the Export dialog says how to get it (docs/export.md).
    "onnx",
    "onnxruntime",
    "onnxscript",
)


def normalize(dest: str) -> str:
    return dest.replace("\\", "/").lower()


def is_dropped(dest: str) -> bool:
    """True when the file at this bundle path is not needed by the app."""
    path = normalize(dest)
    if any(fnmatchcase(path, rule) for rule in TORCH_KEEPS):
        return False
    if any(fnmatchcase(path, rule) for rule in TORCH_DROPS + QT_DATA_DROPS):
        return True
    name = path.rsplit("/", 1)[-1]
    if any(fnmatchcase(name, rule) for rule in QT_LIB_DROPS):
        return True
    for root in QT_PLUGIN_ROOTS:
        if path.startswith(root):
            folder, _, plugin = path[len(root):].partition("/")
            keeps = QT_PLUGIN_KEEPS.get(folder, ())
            return not any(fnmatchcase(plugin, rule) for rule in keeps)
    return False


def prune(toc: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The TOC entries (dest, source, typecode) that stay in the bundle."""
    return [entry for entry in toc if not is_dropped(entry[0])]
