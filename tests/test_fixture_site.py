"""The fixture site is what its generator writes, and passes its own checks."""

import filecmp
import subprocess
import sys

from .conftest import FIXTURES, SITE


def test_generator_reproduces_the_committed_site(tmp_path):
    subprocess.run([sys.executable, str(FIXTURES / "build_site.py"), "--out", str(tmp_path / "site")],
                   check=True, capture_output=True)
    cmp = filecmp.dircmp(SITE, tmp_path / "site")
    differing = []

    def walk(c, prefix=""):
        differing.extend(prefix + n for n in c.left_only + c.right_only + c.diff_files)
        for name, sub in c.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(cmp)
    assert differing == []


def test_fixture_site_checks_pass():
    result = subprocess.run([sys.executable, str(FIXTURES / "check_site.py")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
