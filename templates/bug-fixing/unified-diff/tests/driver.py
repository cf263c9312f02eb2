# Sealed tests of bug-fixing/unified-diff. canary: SYNTH-CANARY-dd9b6382d2c16299
"""Runs `python3 -m difftool ARGS` for many cases in one process (startup is slow on a busy
machine): reads [{"argv": [...], "cwd": DIR}] as JSON on stdin, prints [{"rc", "out", "err"}]
(base64) as JSON on stdout."""

import base64
import io
import json
import os
import runpy
import sys

sys.path.insert(0, "/workspace")


def _refuse(*args, **kwargs):
    raise PermissionError("difftool must not start other programs")


# difftool runs where diff and patch are not installed: it may not hand the work to them.
import _posixsubprocess  # noqa: E402

_posixsubprocess.fork_exec = _refuse
for _name in ("fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp", "execv", "execve",
              "execl", "execle", "execlp", "execlpe", "execvp", "execvpe"):
    if hasattr(os, _name):
        setattr(os, _name, _refuse)
cases = json.load(sys.stdin)
real_stdout = sys.stdout
results = []
for case in cases:
    os.chdir(case["cwd"])
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape")
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", errors="surrogateescape")
    sys.argv = ["difftool"] + case["argv"]
    rc = 0
    try:
        runpy.run_module("difftool", run_name="__main__", alter_sys=True)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Exception as e:  # a crash is a result too
        print(f"crash: {e!r}", file=sys.stderr)
        rc = 99
    sys.stdout.flush()
    sys.stderr.flush()
    results.append({"rc": rc, "out": base64.b64encode(out.getvalue()).decode(),
                    "err": base64.b64encode(err.getvalue()).decode()})
sys.stdout = real_stdout
json.dump(results, real_stdout)
