"""The git state recorded in the report's provenance."""

import subprocess

import pytest

from mnist_sgd.provenance import git_state


@pytest.mark.process
def test_git_state_names_each_changed_file_in_full(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (tmp_path / "tracked.py").write_text("a = 1\n")
    git("add", "tracked.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    assert git_state(tmp_path)["dirty"] is False
    (tmp_path / "tracked.py").write_text("a = 2\n")  # " M tracked.py": the status starts with a space
    (tmp_path / "new.txt").write_text("x\n")
    state = git_state(tmp_path)
    assert state["dirty"] is True and state["branch"] == "main" and len(state["commit"]) == 40
    assert sorted(state["changed_files"]) == ["new.txt", "tracked.py"]
