"""Linting: the rule API, plugin loading, the per-file engine, configuration,
suppressions and the baseline.

``paramlint.lint.rule`` is the public rule API (``Rule``, ``Option``,
``Finding``, ``RuleContext``) that built-in and third-party rules import.
The engine here runs loaders and rules over one file; running many files
(discovery, cache, workers) is ``paramlint.run``'s. Imports the IR, the
support helpers, the analyses and the loader registry; never a rule by
name (rules are found through the ``paramlint.rules`` entry points) and
never an output format.
"""
