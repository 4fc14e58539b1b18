"""Writers of findings, for ``paramlint check``: text, SARIF, GitHub and
GitLab annotations, JUnit. (``check -f json`` writes the report document
of ``paramlint.formats.report.json_doc``.)"""
