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


def test_make_makes_a_broken_venv_again_and_refuses_an_old_python(tmp_path):
    """A .venv from a first attempt with Python 3.9 used to need `make clean`, which nobody is told about."""
    import shutil
    import subprocess

    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    stale = tmp_path / ".venv" / "bin"
    stale.mkdir(parents=True)
    (stale / "python").write_text("#!/bin/sh\nexit 1\n")  # what an older or moved interpreter amounts to here
    (stale / "python").chmod(0o755)
    (stale / "priorauth").write_text("")
    dry = subprocess.run(["make", "-n", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ".venv is broken or was made with an older Python: making it again" in dry.stdout
    assert not (tmp_path / ".venv").exists() and "-m venv .venv" in dry.stdout
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\n[ \"$1\" = -V ] && echo 'Python 3.9.2' && exit 0\nexit 1\n")
    old.chmod(0o755)
    proc = subprocess.run(["make", "demo", f"PYTHON={old}"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "needs Python 3.11 or newer" in proc.stdout and "Python 3.9.2" in proc.stdout
