"""The diff: what a change does to a model.

Owns the comparison of two reports (``compare``), the alignment of layers
across renames (``match``), running both sides (``run``) and reading the
old side out of git (``gitrev``). Imports running, linting, the analyses
and the IR; never an output format or the command line.
"""
