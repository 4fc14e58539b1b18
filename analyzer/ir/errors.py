"""Where something sits in a model file, and the error a loader raises.

Split from ir.py so that a run whose files are all cache hits (which only
screens files and may report one that cannot be read) does not build the
IR's dataclasses at start-up; ir.py re-exports both names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a layer or a finding sits in its source file.

    YAML gives line/column (1-based); ONNX gives the node's index in
    graph order (0-based) and its name.
    """

    path: str
    line: int | None = None
    column: int | None = None
    node_index: int | None = None
    node_name: str | None = None

    @classmethod
    def of_node(cls, path: str, node_index: int, node_name: str) -> "Location":
        """``Location(path, node_index=..., node_name=...)`` without the
        frozen dataclass's ``__init__`` (one ``object.__setattr__`` per
        field): the ONNX loader makes one per node."""
        location = object.__new__(cls)
        location.__dict__.update(path=path, line=None, column=None, node_index=node_index,
                                 node_name=node_name)
        return location


def one_line(text: str) -> str:
    """Text safe to print on one line: control characters escaped.

    Names in hostile files can hold newlines or escape sequences; a
    message must never break a line-oriented output or a terminal
    (analyzer/escape.py says what is made safe and why).
    """
    from .escape import text as visible

    if len(text) > MAX_MESSAGE:  # a name or value of a hostile file can be megabytes
        text = text[:MAX_MESSAGE] + "..."
    return visible(text)


#: Longest load-error message (before escaping): the file's own text in a
#: message is an excerpt, never its content.
MAX_MESSAGE = 400


class LoadError(Exception):
    """The file cannot be read, parsed or validated.

    Loaders raise only this; the engine turns it into a failed model, so
    one bad file never stops a run.
    """

    def __init__(self, message: str, location: Location | None = None,
                 internal: bool = False) -> None:
        message = one_line(message)
        super().__init__(message)
        self.message = message
        self.location = location
        #: True when the failure is paramlint's bug, not the file's fault.
        self.internal = internal

    def __str__(self) -> str:
        loc = self.location
        if loc is None:
            return self.message
        where = loc.path
        if loc.line is not None:
            where += f":{loc.line}"
            if loc.column is not None:
                where += f":{loc.column}"
        return f"{where}: {self.message}"
