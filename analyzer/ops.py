"""Old import path of the op tables, kept for third-party plugins: it is
``paramlint.analysis.ops`` now."""

from paramlint.analysis.ops import *  # noqa: F401,F403
