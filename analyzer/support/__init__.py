"""Process-level helpers that know nothing of models.

Owns the supervised child process that runs native code on untrusted
input (``isolate``), the pause of Python's cyclic garbage collector while
many objects are built (``gc_pause``), atomic and vetted file reads and
writes (``atomic``) and the digest the cache and the plugin registry share
(``digest``). It may import only the IR; loaders, linting and running all
sit above it, which is why the ONNX loader's isolation lives here rather
than with the other running machinery in ``paramlint.run``.
"""
