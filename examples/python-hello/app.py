"""A hello-world synth scaffold in Python, built with componentize-py.

It implements the `scaffold` world of synth:plugin@0.1.0 (../../wit/v0.1.0): `describe()` lists
a `bash` tool (shell role) and a `submit` tool (finish role); `run()` asks the model once, runs
the command of its first `bash` call in the sandbox, shows the model the result, asks once more
and returns `submitted`. It is a smoke test of the contract, not a useful agent.

Two rules of componentize-py apply to every Python plugin:
- Import everything at module top level. The standard library is only present while the
  component is built; an `import` inside a function fails at run time.
- Report errors by raising `componentize_py_types.Err(...)` with the WIT error value. Any other
  uncaught exception traps the instance and the episode fails as a plugin fault.
"""

import json
import traceback

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import llm, log, sandbox, types

BASH = types.ToolSpec(
    name="bash",
    description="Run one bash command in the task's workspace and see its output.",
    parameters=json.dumps(
        {
            "type": "object",
            "properties": {"command": {"type": "string", "description": "The command line."}},
            "required": ["command"],
            "additionalProperties": False,
        }
    ),
    role=types.ToolRole_Shell(types.ShellRole(command_argument="command", fixed_arguments="{}")),
)

SUBMIT = types.ToolSpec(
    name="submit",
    description="Call this when the task is done.",
    parameters=json.dumps({"type": "object", "properties": {}, "additionalProperties": False}),
    role=types.ToolRole_Finish(types.FinishRole(fixed_arguments="{}")),
)

TOOLS = [BASH, SUBMIT]


def message(role: types.Role, text: str, call_id: str | None = None) -> types.Message:
    return types.Message(
        role=role,
        content=[types.ContentPart_Text(text)],
        tool_calls=[],
        tool_call_id=call_id,
        name=None,
    )


def ask(history: list[types.Message]) -> llm.Completion:
    """One agent-purpose model call; LLM errors become the run's error."""
    params = llm.Params(
        max_tokens=None,
        temperature=None,
        top_p=None,
        seed=None,
        stop=[],
        logprobs=None,
        purpose=llm.Purpose.AGENT,
        model_role=None,
        extra=None,
    )
    try:
        return llm.complete(history, TOOLS, params)
    except Err as e:
        raise Err(types.RunError_Llm(f"llm.complete failed: {e.value!r}"))


def observe(command: str) -> str:
    """Runs `command` in the sandbox and renders the result for the model."""
    options = sandbox.ExecOptions(
        timeout_ms=120_000, soft_timeout_ms=None, cwd=None, env=[], max_output_bytes=10_000
    )
    try:
        result = sandbox.exec(command, options)
    except Err as e:
        if isinstance(e.value, sandbox.SandboxError_Infrastructure):
            raise Err(types.RunError_Sandbox(e.value.value))
        return f"error: {e.value!r}"
    text = result.output.decode("utf-8", errors="replace")
    status = "timed out" if result.timed_out else f"exit code {result.exit_code}"
    return f"{status}\n{text}"


class ScaffoldApi(exports.ScaffoldApi):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="python-hello",
            version="0.1.0",
            description="Hello-world Python scaffold: one command, then submit.",
            tools=TOOLS,
            config_schema=json.dumps({"type": "object"}),
        )

    def run(self, task: types.Task, config: str) -> types.Outcome:
        try:
            return self._run(task)
        except Err:
            raise
        except Exception:
            # Anything else would trap the instance; report it as the run's error instead.
            raise Err(types.RunError_Internal(traceback.format_exc()))

    def _run(self, task: types.Task) -> types.Outcome:
        log.log(log.Level.INFO, f"python-hello starting on {task.instance_id}")
        history = [
            message(
                types.Role.SYSTEM,
                f"You are working in {task.workspace}. Use the bash tool, then call submit.",
            ),
            message(types.Role.USER, task.instruction),
        ]

        first = ask(history)
        history.append(first.message)
        calls = first.message.tool_calls
        if not any(call.name == "bash" for call in calls):
            return types.Outcome(exit=types.ExitKind.GAVE_UP, message="the model ran no command")
        for call in calls:
            history.append(message(types.Role.TOOL, self._answer(call, calls), call.id))

        ask(history)
        return types.Outcome(exit=types.ExitKind.SUBMITTED, message="hello from Python")

    def _answer(self, call: types.ToolCall, calls: list[types.ToolCall]) -> str:
        """The tool message text for `call`: only the first `bash` call is executed."""
        first_bash = next(c for c in calls if c.name == "bash")
        if call is not first_bash:
            return "not executed: this scaffold runs one command"
        if not isinstance(call.parsed, Ok):
            return f"error: the arguments are not valid JSON: {call.parsed.value}"
        arguments = json.loads(call.parsed.value)
        command = arguments.get("command") if isinstance(arguments, dict) else None
        if not isinstance(command, str):
            return "error: missing string argument `command`"
        return observe(command)
