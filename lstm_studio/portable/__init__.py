"""Run an exported LSTM Studio model with onnxruntime alone: no PyTorch, no Qt.

    from lstm_studio.portable import load

    model = load("model.onnx")
    print(model.predict("Quán này ngon lắm"))  # {'neg': 0.03, 'pos': 0.97}

From a shell, `python -m lstm_studio.portable model.onnx "some text"` prints the JSON that
`lstm-studio predict --json` prints. Importing this package never imports torch or PySide6
(tests/core/test_portable.py checks it with both blocked).
"""

from lstm_studio.portable.predictor import PortablePredictor, load

__all__ = ["PortablePredictor", "load"]
