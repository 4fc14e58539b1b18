"""Writers of reports, for ``paramlint report``: text, JSON (report-json.md),
markdown and HTML."""
