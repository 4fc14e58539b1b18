"""Old import path of the public rule API, kept for third-party plugins:
it is ``paramlint.lint.rule`` now."""

from paramlint.lint.rule import *  # noqa: F401,F403
from paramlint.lint.rule import Finding, Option, Rule, RuleContext  # noqa: F401
