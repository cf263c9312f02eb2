"""Runs app.py's loop natively against a scripted host: the generated bindings are imported
as plain Python and their import functions (llm.complete, sandbox.exec, ...) replaced by
fakes. Needs componentize-py to generate the bindings; skipped without it.

    python3 -m pytest examples/python-agent
"""

import importlib
import json
import os
import shutil
import subprocess
import sys
from collections import deque

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
WIT = os.path.join(HERE, "..", "..", "wit", "v0.1.0")


@pytest.fixture(scope="module")
def bindings(tmp_path_factory):
    if shutil.which("componentize-py") is None:
        pytest.skip("componentize-py is not installed (pip install componentize-py==0.25.1)")
    out = tmp_path_factory.mktemp("bindings")
    subprocess.run(
        ["componentize-py", "-d", WIT, "-w", "scaffold", "bindings", str(out)],
        check=True,
        capture_output=True,
    )
    sys.path[:0] = [str(out), HERE]
    from componentize_py_types import Err, Ok
    from wit_world.imports import llm, log, sandbox, types

    app = importlib.import_module("app")
    yield {"app": app, "llm": llm, "log": log, "sandbox": sandbox, "types": types, "Err": Err, "Ok": Ok}
    for name in [m for m in sys.modules if m == "app" or m.split(".")[0] in ("wit_world", "componentize_py_types")]:
        del sys.modules[name]
    for path in (str(out), HERE):
        sys.path.remove(path)


class Host:
    """Scripted replies and command results; records requests, commands and files."""

    def __init__(self, b, monkeypatch):
        self.b = b
        self.replies = deque()
        self.results = deque()
        self.requests = []
        self.commands = []
        self.files = {}
        monkeypatch.setattr(b["llm"], "complete", self.complete)
        monkeypatch.setattr(b["sandbox"], "exec", self.exec)
        monkeypatch.setattr(b["sandbox"], "write_file", self.write_file)
        monkeypatch.setattr(b["log"], "log", lambda level, message: None)

    def call(self, name, arguments, call_id=None):
        t = self.b["types"]
        text = arguments if isinstance(arguments, str) else json.dumps(arguments)
        parsed = self.b["Err"]("EOF while parsing") if text == "{" else self.b["Ok"](text)
        call = t.ToolCall(id=call_id or f"call_{len(self.replies) + 1}", name=name, raw_arguments=text, parsed=parsed)
        return self.reply([call])

    def reply(self, calls, text=""):
        t = self.b["types"]
        self.replies.append(
            t.Message(
                role=t.Role.ASSISTANT,
                content=[t.ContentPart_Text(text)] if text else [],
                tool_calls=calls,
                tool_call_id=None,
                name=None,
            )
        )
        return self

    def complete(self, messages, tools, params):
        t, llm = self.b["types"], self.b["llm"]
        self.requests.append((list(messages), tools, params))
        reply = self.replies.popleft()
        if isinstance(reply, Exception):
            raise reply
        return llm.Completion(
            message=reply,
            finish_reason=t.FinishReason.TOOL_CALLS if reply.tool_calls else t.FinishReason.STOP,
            usage=t.Usage(prompt_tokens=0, completion_tokens=0, cached_tokens=0, reasoning_tokens=0),
            model="fake/script",
            call_id=f"fake-{len(self.requests)}",
        )

    def exec(self, command, options):
        self.commands.append((command, options))
        result = self.results.popleft()
        if isinstance(result, Exception):
            raise result
        return result

    def write_file(self, path, content):
        self.files[path] = content

    def ok(self, output, code=0):
        self.results.append(
            self.b["sandbox"].ExecResult(
                exit_code=code, output=output, truncated=False, timed_out=False, still_running=False, duration_ms=3
            )
        )
        return self

    def answer(self, step, back=0):
        """The text of a message appended after model call `step`, counted from the end."""
        messages = self.requests[step + 1][0]
        m = messages[len(messages) - 1 - back]
        return m.role, m.tool_call_id, "".join(p.value for p in m.content)


def task(b, max_steps=5):
    return b["types"].Task(
        instance_id="csv-report-1",
        template_id="csv-report",
        category="shell-scripting",
        difficulty="medium",
        instruction="Write bin/sales-summary.sh.",
        workspace="/workspace",
        max_steps=max_steps,
        max_seconds=600,
        parameters="{}",
    )


def run(b, host, config="{}", max_steps=5):
    return b["app"].ScaffoldApi().run(task(b, max_steps), config)


def test_describe_lists_tools_with_roles(bindings):
    t = bindings["types"]
    info = bindings["app"].ScaffoldApi().describe()
    assert [tool.name for tool in info.tools] == ["bash", "write_file", "submit"]
    assert isinstance(info.tools[0].role, t.ToolRole_Shell)
    assert info.tools[0].role.value.command_argument == "command"
    assert isinstance(info.tools[2].role, t.ToolRole_Finish)
    assert json.loads(info.config_schema)["additionalProperties"] is False


def test_acts_then_submits(bindings, monkeypatch):
    b = bindings
    t = b["types"]
    host = Host(b, monkeypatch)
    host.call("bash", {"command": "ls data"}).call(
        "write_file", {"path": "bin/x.sh", "content": "#!/bin/bash\n"}
    ).call("submit", {"message": "done"}).ok(b"sales\n")
    outcome = run(b, host, '{"command_timeout_secs": 7, "temperature": 0.2}')
    assert outcome.exit == t.ExitKind.SUBMITTED and outcome.message == "done"
    messages, tools, params = host.requests[0]
    assert [m.role for m in messages] == [t.Role.SYSTEM, t.Role.USER]
    assert "/workspace" in messages[0].content[0].value
    assert messages[1].content[0].value == "Write bin/sales-summary.sh."
    assert params.purpose == b["llm"].Purpose.AGENT and params.temperature == pytest.approx(0.2)
    command, options = host.commands[0]
    assert command == "ls data" and options.timeout_ms == 7000 and options.max_output_bytes == 10_000
    assert host.answer(0) == (t.Role.TOOL, "call_1", "<returncode>0</returncode>\n<output>\nsales\n</output>")
    assert host.answer(1) == (t.Role.TOOL, "call_2", "Wrote 12 bytes to bin/x.sh.")
    assert host.files == {"bin/x.sh": b"#!/bin/bash\n"}


def test_oracle_style_submit_with_no_arguments(bindings, monkeypatch):
    host = Host(bindings, monkeypatch)
    host.call("bash", {"command": "cd /workspace && true"}).call("submit", {}).ok(b"")
    outcome = run(bindings, host)
    assert outcome.exit == bindings["types"].ExitKind.SUBMITTED and outcome.message == ""


def test_mistakes_are_observations(bindings, monkeypatch):
    b = bindings
    t = b["types"]
    host = Host(b, monkeypatch)
    host.call("bash", {"cmd": "ls"}).call("bash", "{").call("rm_rf", {}).reply([], text="thinking")
    host.call("bash", {"command": "ls"}).call("submit", {})
    host.results.append(b["Err"](b["sandbox"].SandboxError_Busy()))
    outcome = run(b, host, '{"max_steps": 6}')
    assert outcome.exit == t.ExitKind.SUBMITTED
    assert "missing required argument(s): command" in host.answer(0)[2]
    assert "not valid JSON: EOF while parsing" in host.answer(1)[2]
    assert "unknown tool `rm_rf`" in host.answer(2)[2]
    assert host.answer(3)[0] == t.Role.USER and "called no tool" in host.answer(3)[2]
    assert host.answer(4)[2] == "Error: the command could not run: another command is still running."


def test_limits_and_errors(bindings, monkeypatch):
    b = bindings
    t, llm, Err = b["types"], b["llm"], b["Err"]
    host = Host(b, monkeypatch)
    host.reply([], "a").reply([], "b")
    assert run(b, host, max_steps=2).exit == t.ExitKind.STEP_LIMIT
    assert len(host.requests) == 2

    for error, exit_kind in [
        (llm.LlmError_BudgetExhausted("cost"), t.ExitKind.BUDGET_EXHAUSTED),
        (llm.LlmError_ContextLengthExceeded("128k"), t.ExitKind.CONTEXT_LIMIT),
    ]:
        host = Host(b, monkeypatch)
        host.replies.append(Err(error))
        assert run(b, host).exit == exit_kind

    host = Host(b, monkeypatch)
    host.replies.append(Err(llm.LlmError_Provider("503")))
    with pytest.raises(Err) as e:
        run(b, host)
    assert e.value.value == t.RunError_Llm("provider error: 503")

    host = Host(b, monkeypatch)
    host.call("bash", {"command": "ls"})
    host.results.append(Err(b["sandbox"].SandboxError_Infrastructure("container gone")))
    with pytest.raises(Err) as e:
        run(b, host)
    assert e.value.value == t.RunError_Sandbox("container gone")

    with pytest.raises(Err) as e:
        run(b, Host(b, monkeypatch), '{"max_step": 1}')
    assert isinstance(e.value.value, t.RunError_InvalidConfig) and "max_step" in e.value.value.value

    host = Host(b, monkeypatch)
    host.replies.append(RuntimeError("boom"))
    with pytest.raises(Err) as e:
        run(b, host)
    assert isinstance(e.value.value, t.RunError_Internal) and "RuntimeError: boom" in e.value.value.value
