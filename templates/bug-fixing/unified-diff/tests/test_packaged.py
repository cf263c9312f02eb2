# Sealed tests of bug-fixing/unified-diff. canary: SYNTH-CANARY-dd9b6382d2c16299
import subprocess


def test_packaged_tests_still_pass():
    out = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                         cwd="/workspace", capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
