"""Running: which files a run reads, the cache and its store, the worker
pool and its sizing, and the command-level run (``runner``).

Imports linting, the loader registry, the analyses, the support helpers
and the IR; never an output format or the command line.
"""
