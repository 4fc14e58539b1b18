"""The README a newcomer follows to the letter stays true.

Its first two commands are what CI runs; its sample output is what the
command prints; it installs from a clone or a git URL (there is no PyPI
release); its links resolve inside the repository (users never see the
design contracts kept outside it).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)


def test_the_first_two_commands_install_and_run_an_example_then_the_tests():
    first, second = code_blocks(README)[:2]
    assert first.strip() == "pip install . && paramlint report fixtures/alexnet.yaml"
    assert second.strip() == "pip install -e '.[test]' && pytest"
    # CI calls exactly the second one.
    assert "\npip install -e '.[test]' && pytest\n" in (REPO / ".ci" / "run").read_text()


def _matches(sample: list[str], real: list[str]) -> bool:
    """Every sample line equals a real line, in order; ``...`` stands for any lines."""
    pos, skipping = 0, False
    for line in sample:
        if line == "...":
            skipping = True
            continue
        if skipping:
            while pos < len(real) and real[pos] != line:
                pos += 1
        if pos >= len(real) or real[pos] != line:
            return False
        pos += 1
        skipping = False
    return skipping or pos == len(real)


def test_the_sample_output_is_what_the_command_prints():
    (block,) = [b for b in code_blocks(README) if b.startswith("$ paramlint report ")]
    command, *sample = block.rstrip("\n").split("\n")
    args = command.split()[3:]  # after "$ paramlint report"
    proc = subprocess.run([sys.executable, "-m", "paramlint", "report", "--no-cache", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    real = [line.rstrip() for line in proc.stdout.rstrip("\n").split("\n")]
    sample = [line.rstrip() for line in sample]
    assert proc.returncode == 0, proc.stderr
    assert _matches(sample, real), "\n".join(real)


def test_the_sample_matcher_is_not_lenient():
    assert _matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert not _matches(["a", "d"], ["a", "b", "c", "d"])
    assert not _matches(["a", "...", "x"], ["a", "b"])
    assert not _matches(["b"], ["a", "b"])


def test_install_is_from_a_clone_or_a_git_url_never_from_pypi():
    assert not re.search(r"pip install paramlint\b", README)
    assert "pip install ./paramlint" in README and 'pip install "git+' in README


def test_links_stay_inside_the_repository_and_resolve():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, page.name
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # an external URL
            assert (page.parent / target).resolve().exists(), f"{page.name}: {target}"


def test_the_yaml_format_page_names_every_layer_type_the_loader_reads():
    from paramlint.loaders.yaml.layers import TYPE_NAMES

    page = (REPO / "docs" / "yaml-format.md").read_text(encoding="utf-8")
    missing = [t for t in TYPE_NAMES if f"`{t}`" not in page]
    assert missing == []
