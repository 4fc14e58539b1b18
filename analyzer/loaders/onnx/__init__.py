"""The ONNX loader: ``.onnx`` graphs read into the IR without the weights.

``loader.load`` is the entry point. Its helpers: the file read without its
payloads (``wire``, the wire walk ``slim``, the scanner ``protowire``),
the lean import of onnx's protobuf classes (``lean``), model-local
functions inlined (``inline``), graph flattening (``graph``), constant
analysis (``constants``, ``tensors``, ``derived``), shape inference beside
the loader (``infer``, ``shapefold``, ``shapes``), weight roles and roots
(``weights``), one layer per node (``make``), op tables (``ops``) and
module paths (``modules``). Imports only the IR and the support helpers
(onnx's native code runs isolated, in ``paramlint.support.isolate``).
"""
