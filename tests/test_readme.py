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


def test_without_shared_the_suite_and_ci_stop_and_say_why(tmp_path):
    """Without ../shared nothing could check the quotes or the examples: both refuse to run, naming it."""
    import os
    import shutil
    import subprocess
    import sys

    env = dict(os.environ, PRIORAUTH_SHARED=str(tmp_path / "nowhere"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/test_readme.py"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "../shared is not complete" in proc.stdout + proc.stderr
    checkout = tmp_path / "checkout"
    (checkout / ".ci").mkdir(parents=True)
    shutil.copy(REPO / ".ci" / "run", checkout / ".ci" / "run")
    ci = subprocess.run(["bash", str(checkout / ".ci" / "run")], capture_output=True, text=True, timeout=60)
    assert ci.returncode == 1 and "../shared/seeds is missing" in ci.stderr
