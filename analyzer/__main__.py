"""``python -m paramlint``: the paramlint command without the console script."""

from .cli import main

main(prog_name="paramlint")
