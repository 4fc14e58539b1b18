"""The command line: ``paramlint check``, ``report``, ``diff`` and ``rules``.

The top of the import graph: it may import anything in the package. It
keeps its own imports lazy, so a command pays only for what it runs.
The entry point is ``paramlint.cli.app:main``.
"""
