"""``python -m paramlint``: the paramlint command without the console script."""

import sys

try:
    from paramlint.cli.app import main
except KeyboardInterrupt:  # Ctrl-C while starting up: as during a run
    print("paramlint: interrupted", file=sys.stderr)
    sys.exit(130)

main(prog_name="paramlint")
