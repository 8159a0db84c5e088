"""The README opens with the two commands a newcomer needs, and they exist in the Makefile."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_starts_with_the_two_commands():
    lines = [line for line in (REPO / "README.md").read_text().splitlines() if line.strip()]
    block = lines[1:5]
    assert block[0] == "```sh"
    assert block[1].startswith("make demo") and block[2].startswith("make test")
    makefile = (REPO / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO / ".ci" / "run").read_text()
