"""paramlint's core: the layer IR, loaders, counting, engine and outputs.

Rules live in the separate ``rules`` package and are found through the
``paramlint.rules`` entry-point group, so nothing here names a rule.
"""

__version__ = "0.1.0"
