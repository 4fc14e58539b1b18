"""Writers of diffs, for ``paramlint diff``: text, JSON, markdown and GitHub
annotations."""
