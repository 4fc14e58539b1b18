"""The paramlint YAML loader: architecture files of format 1 and 2.

``claim.claims`` says whether a file is one; ``loader.load`` reads it. The
marked YAML source (``source``, also read by the Ultralytics loader),
field checking (``fields``) and the layer types (``layers``, ``spatial``,
``tokens``, ``attention``, ``moe``, ``share``, ``types``) are its helpers.
Imports only the IR.
"""
