"""python-agent: a small but real synth scaffold in Python, built with componentize-py.

It implements the `scaffold` world of synth:plugin@0.1.0 (../../wit/v0.1.0). The loop: a
system prompt and the task's instruction, then up to `max_steps` model calls; each reply's
tool calls run in order and are answered with tool messages; a reply with no tool call gets a
user message nudging the model; `submit` ends the episode. Tools: `bash` (shell role),
`write_file` (through the sandbox's file import) and `submit` (finish role).

This file owns everything that touches the host (the generated `wit_world` bindings). The
pure logic (configuration, argument checks, observation text, prompts) lives in logic.py,
which must never import `wit_world`, so pytest runs it without a component.

componentize-py's rules apply (see README.md): import everything at module top level, and
report errors by raising `componentize_py_types.Err(...)` with the WIT error value.
"""

import json
import traceback

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import llm, log, sandbox, types

import logic


def _spec(name: str, role: types.ToolRole) -> types.ToolSpec:
    description, schema = logic.TOOLS[name]
    return types.ToolSpec(
        name=name, description=description, parameters=json.dumps(schema), role=role
    )


# `bash` is the first (and only) shell-role tool and `submit` the finish tool: the `oracle`
# and test models answer through these roles without reading descriptions.
TOOLS = [
    _spec("bash", types.ToolRole_Shell(types.ShellRole(command_argument="command", fixed_arguments="{}"))),
    _spec("write_file", types.ToolRole_Other()),
    _spec("submit", types.ToolRole_Finish(types.FinishRole(fixed_arguments="{}"))),
]


def text_message(role: types.Role, text: str, call_id: str | None = None) -> types.Message:
    return types.Message(
        role=role,
        content=[types.ContentPart_Text(text)],
        tool_calls=[],
        tool_call_id=call_id,
        name=None,
    )


def error_text(value) -> str:
    """A WIT error value (`SandboxError_*`, `LlmError_*`) as a sentence."""
    return logic.describe_error(type(value).__name__, getattr(value, "value", None))


class Submitted(Exception):
    """Raised by the `submit` tool to end the loop."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Agent:
    """One episode: the history, the limits, and the tools' host side."""

    def __init__(self, task: types.Task, config: logic.Config):
        self.task = task
        self.config = config
        self.max_steps = config.steps_for(task.max_steps)
        self.params = llm.Params(
            max_tokens=None,
            temperature=config.temperature,
            top_p=None,
            seed=None,
            stop=[],
            logprobs=None,
            purpose=llm.Purpose.AGENT,
            model_role=None,
            extra=None,
        )
        self.exec_options = sandbox.ExecOptions(
            timeout_ms=config.command_timeout_secs * 1000,
            soft_timeout_ms=None,
            cwd=None,
            env=[],
            max_output_bytes=logic.MAX_OUTPUT_BYTES,
        )
        prompt = logic.system_prompt(task.workspace, config.command_timeout_secs, self.max_steps)
        self.history = [
            text_message(types.Role.SYSTEM, prompt),
            text_message(types.Role.USER, task.instruction),
        ]

    def run(self) -> types.Outcome:
        log.log(log.Level.INFO, f"python-agent: {self.task.instance_id} (max {self.max_steps} steps)")
        for _ in range(self.max_steps):
            try:
                completion = llm.complete(self.history, TOOLS, self.params)
            except Err as e:
                return self.llm_failure(e.value)
            reply = completion.message
            self.history.append(reply)
            if not reply.tool_calls:
                cut_off = completion.finish_reason == types.FinishReason.LENGTH
                self.history.append(text_message(types.Role.USER, logic.no_tool_call(cut_off)))
                continue
            for call in reply.tool_calls:
                try:
                    text = self.act(call)
                except Submitted as done:
                    return types.Outcome(exit=types.ExitKind.SUBMITTED, message=done.message)
                self.history.append(text_message(types.Role.TOOL, text, call.id))
        return types.Outcome(
            exit=types.ExitKind.STEP_LIMIT, message=f"no submission within {self.max_steps} steps"
        )

    def llm_failure(self, error) -> types.Outcome:
        """Budget and context errors end the episode with an outcome; the others fail the run."""
        if isinstance(error, llm.LlmError_BudgetExhausted):
            return types.Outcome(exit=types.ExitKind.BUDGET_EXHAUSTED, message=error.value)
        if isinstance(error, llm.LlmError_ContextLengthExceeded):
            return types.Outcome(exit=types.ExitKind.CONTEXT_LIMIT, message=error.value)
        raise Err(types.RunError_Llm(error_text(error)))

    def act(self, call: types.ToolCall) -> str:
        """Runs one call and returns what the model reads. Mistakes the model can fix are
        observations; only a broken sandbox fails the run."""
        if not isinstance(call.parsed, Ok):
            return logic.unparsable_arguments(call.name, call.parsed.value)
        try:
            arguments = logic.check_arguments(call.name, call.parsed.value)
        except logic.ArgumentError as e:
            return f"Error: {e}"
        if call.name == "submit":
            raise Submitted(arguments.get("message", ""))
        if call.name == "write_file":
            return self.write_file(arguments["path"], arguments["content"])
        return self.bash(arguments["command"])

    def bash(self, command: str) -> str:
        try:
            r = sandbox.exec(command, self.exec_options)
        except Err as e:
            return self.sandbox_problem("the command could not run", e.value)
        return logic.observation(
            r.exit_code, bytes(r.output), r.truncated, r.timed_out, r.still_running, r.duration_ms
        )

    def write_file(self, path: str, content: str) -> str:
        data = content.encode("utf-8")
        try:
            sandbox.write_file(path, data)
        except Err as e:
            return self.sandbox_problem(f"{path} was not written", e.value)
        return f"Wrote {len(data)} bytes to {path}."

    def sandbox_problem(self, what: str, error) -> str:
        if isinstance(error, sandbox.SandboxError_Infrastructure):
            raise Err(types.RunError_Sandbox(error.value))
        return f"Error: {what}: {error_text(error)}."


class ScaffoldApi(exports.ScaffoldApi):
    def describe(self) -> types.PluginInfo:
        # Called with no sandbox or model: must not call imports.
        return types.PluginInfo(
            name="python-agent",
            version="0.1.0",
            description="Example Python scaffold: bash, write_file and submit in a plain "
            "tool-calling loop.",
            tools=TOOLS,
            config_schema=json.dumps(logic.CONFIG_SCHEMA),
        )

    def run(self, task: types.Task, config: str) -> types.Outcome:
        try:
            parsed = logic.parse_config(config)
        except logic.ConfigError as e:
            raise Err(types.RunError_InvalidConfig(str(e)))
        try:
            return Agent(task, parsed).run()
        except Err:
            raise
        except Exception:
            # Anything else would trap the instance (a plugin fault with the traceback on
            # stderr); report it as the run's error instead.
            raise Err(types.RunError_Internal(traceback.format_exc()))
