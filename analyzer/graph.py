"""Old import path of the dataflow graph, kept for third-party plugins: it is
``paramlint.analysis.graph`` now."""

from paramlint.analysis.graph import *  # noqa: F401,F403
from paramlint.analysis.graph import graph  # noqa: F401
