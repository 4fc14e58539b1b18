"""The ONNX loader: ``.onnx`` graphs read into the IR without the weights.

``loader.load`` is the entry point; the wire walk (``wire``, ``protowire``),
the lean import of onnx's protobuf classes (``lean``), graph flattening
(``graph``), constant analysis (``constants``, ``derived``), shape
inference beside the loader (``infer``, ``shapefold``, ``shapes``), op
tables (``ops``) and module paths (``modules``) are its helpers. Imports
only the IR and the support helpers (native code runs isolated).
"""
