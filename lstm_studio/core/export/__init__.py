"""Taking a trained model out of the app: ONNX, a standalone PyTorch script, a model card.

One module per format (`onnx_graph`, `script`, `card`), plus `manifest` (torch-free: what an
exported ONNX file says about its text pipeline, read back by `lstm_studio.portable`) and
`common` (writing the files). Nothing is imported here eagerly, so the torch-free portable
predictor can import `manifest` without pulling in torch or onnx.
"""
