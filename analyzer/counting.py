"""Old import path of counting, kept for third-party plugins: it is
``paramlint.analysis.counting`` now."""

from paramlint.analysis.counting import *  # noqa: F401,F403
from paramlint.analysis.counting import count  # noqa: F401
