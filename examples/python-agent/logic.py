"""The pure part of python-agent: configuration, tool schemas, argument checks, observation
and prompt text.

This module must never import `wit_world` (the generated bindings) or anything that talks to
the host: it runs unchanged under plain CPython, so `python3 -m pytest examples/python-agent`
tests it without building a component. `app.py` turns its results into WIT values.
"""

import json
from dataclasses import dataclass
from typing import Any, Optional

DEFAULT_COMMAND_TIMEOUT_SECS = 120
# Output cap of one command (the host keeps head and tail), as the Rust examples use.
MAX_OUTPUT_BYTES = 10_000


class ConfigError(ValueError):
    """The run's configuration was refused; the message names the field."""


class ArgumentError(ValueError):
    """A tool call's arguments do not fit its tool; the message is shown to the model."""


@dataclass(frozen=True)
class Config:
    max_steps: Optional[int] = None
    temperature: Optional[float] = None
    command_timeout_secs: int = DEFAULT_COMMAND_TIMEOUT_SECS

    def steps_for(self, task_max_steps: int) -> int:
        """The step limit of an episode: the configured one, else the task's."""
        return task_max_steps if self.max_steps is None else self.max_steps


CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "max_steps": {
            "type": "integer",
            "minimum": 0,
            "description": "Agent steps (model calls) before stopping with step-limit. "
            "Default: the task's step limit.",
        },
        "temperature": {
            "type": "number",
            "minimum": 0,
            "description": "Sampling temperature. Default: the run's or the provider's.",
        },
        "command_timeout_secs": {
            "type": "integer",
            "minimum": 1,
            "default": DEFAULT_COMMAND_TIMEOUT_SECS,
            "description": "Hard timeout of one bash command, in seconds.",
        },
    },
}


def _kind(value: Any) -> str:
    """'a string', 'an array', ... for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_config(text: str) -> Config:
    """Parses the run's configuration (a JSON object; empty counts as `{}`)."""
    if not text.strip():
        return Config()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"invalid configuration: not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"invalid configuration: expected a JSON object, got {_kind(value)}")
    known = CONFIG_SCHEMA["properties"]
    for key in value:
        if key not in known:
            raise ConfigError(
                f"invalid configuration: unknown field `{key}`, expected one of "
                + ", ".join(f"`{k}`" for k in known)
            )

    def field_error(key: str, want: str) -> ConfigError:
        return ConfigError(
            f"invalid configuration: field `{key}`: expected {want}, got {json.dumps(value[key])}"
        )

    max_steps = value.get("max_steps")
    if max_steps is not None and not (_is_int(max_steps) and max_steps >= 0):
        raise field_error("max_steps", "an integer >= 0")
    temperature = value.get("temperature")
    if temperature is not None and not (
        isinstance(temperature, (int, float))
        and not isinstance(temperature, bool)
        and temperature >= 0
    ):
        raise field_error("temperature", "a number >= 0")
    timeout = value.get("command_timeout_secs", DEFAULT_COMMAND_TIMEOUT_SECS)
    if not (_is_int(timeout) and timeout >= 1):
        raise field_error("command_timeout_secs", "an integer >= 1")
    return Config(
        max_steps=max_steps,
        temperature=None if temperature is None else float(temperature),
        command_timeout_secs=timeout,
    )


# The tools: name -> (description, JSON Schema of the arguments). `app.py` adds the roles:
# `bash` has the shell role (argument `command`), `submit` the finish role with no fixed
# arguments, so nothing of `submit` may be required.
TOOLS: dict[str, tuple[str, dict[str, Any]]] = {
    "bash": (
        "Run one bash command in the persistent shell (working directory and exported "
        "variables carry over) and see its exit code and output. Non-interactive commands only.",
        {
            "type": "object",
            "properties": {"command": {"type": "string", "description": "The command line to run."}},
            "required": ["command"],
            "additionalProperties": False,
        },
    ),
    "write_file": (
        "Create or replace a whole file (parent folders are created).",
        {
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": "The file's path, absolute or relative to the workspace.",
                },
                "content": {"type": "string", "description": "The whole new content of the file."},
            },
            "required": ["path", "content"],
            "additionalProperties": False,
        },
    ),
    "submit": (
        "Finish: call this once the task is done and checked. It ends your work.",
        {
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "Optional note on what you did."}
            },
            "additionalProperties": False,
        },
    ),
}

_JSON_TYPES = {"string": str, "array": list, "object": dict, "boolean": bool}


def check_arguments(tool: str, text: str) -> dict[str, Any]:
    """The arguments of a call of `tool`, given as the JSON text the host parsed, checked
    against the tool's schema. Nothing is repaired: a problem raises ArgumentError."""
    if tool not in TOOLS:
        names = ", ".join(f"`{name}`" for name in TOOLS)
        raise ArgumentError(f"unknown tool `{tool}`. The tools are {names}.")
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as e:
        raise ArgumentError(f"the arguments of `{tool}` are not valid JSON: {e}") from None
    if not isinstance(arguments, dict):
        raise ArgumentError(f"the arguments of `{tool}` must be a JSON object, not {_kind(arguments)}")
    schema = TOOLS[tool][1]
    properties = schema["properties"]
    missing = [name for name in schema.get("required", []) if name not in arguments]
    if missing:
        raise ArgumentError(f"`{tool}` was not run: missing required argument(s): {', '.join(missing)}.")
    unexpected = [name for name in arguments if name not in properties]
    if unexpected and schema.get("additionalProperties") is False:
        raise ArgumentError(
            f"`{tool}` was not run: unexpected argument(s): {', '.join(unexpected)}; "
            f"allowed: {', '.join(properties)}."
        )
    for name, value in arguments.items():
        want = properties.get(name, {}).get("type")
        if want in _JSON_TYPES and not isinstance(value, _JSON_TYPES[want]):
            raise ArgumentError(
                f"`{tool}` was not run: argument `{name}` must be a {want}, not {_kind(value)}."
            )
    return arguments


def unparsable_arguments(tool: str, error: str) -> str:
    """The observation for a call whose arguments the host could not parse as JSON."""
    return f"Error: the arguments of `{tool}` are not valid JSON: {error}. Fix them and call again."


def observation(
    exit_code: Optional[int],
    output: bytes,
    truncated: bool = False,
    timed_out: bool = False,
    still_running: bool = False,
    duration_ms: int = 0,
) -> str:
    """A command's result as the model reads it (mini-swe-agent's layout, as the Rust SDK's
    `observation`): warnings, `<returncode>`, then the output decoded with invalid bytes
    replaced."""
    parts = []
    if timed_out:
        parts.append(
            f"<warning>The command timed out after {_seconds(duration_ms)} and was interrupted.</warning>\n"
        )
    elif still_running:
        parts.append(
            f"<warning>The command is still running after {_seconds(duration_ms)}; "
            "it printed nothing new for a while.</warning>\n"
        )
    if truncated:
        parts.append(
            "<warning>The output was too long: its middle was cut, see the marker line.</warning>\n"
        )
    if exit_code is not None:
        parts.append(f"<returncode>{exit_code}</returncode>\n")
    elif not still_running:
        parts.append("<returncode>none (killed by a signal)</returncode>\n")
    text = output.decode("utf-8", errors="replace")
    if text and not text.endswith("\n"):
        text += "\n"
    parts.append(f"<output>\n{text}</output>")
    return "".join(parts)


def _seconds(ms: int) -> str:
    return f"{ms // 1000} s" if ms % 1000 == 0 else f"{ms / 1000:.1f} s"


# WIT error variants by the class name componentize-py gives them, as sentences.
_ERROR_PHRASES = {
    "NotFound": "not found",
    "PermissionDenied": "permission denied",
    "IsADirectory": "is a directory",
    "NotADirectory": "not a directory",
    "InvalidArgument": "invalid argument",
    "TooLarge": "too large",
    "NoRunningCommand": "no command is running",
    "Busy": "another command is still running",
    "Unsupported": "unsupported",
    "Infrastructure": "sandbox failure",
    "ContextLengthExceeded": "context length exceeded",
    "BudgetExhausted": "budget exhausted",
    "Cancelled": "the model call was cancelled",
    "Provider": "provider error",
    "InvalidRequest": "invalid request",
}


def describe_error(class_name: str, detail: Optional[str]) -> str:
    """`SandboxError_NotFound`, `x.txt` -> `not found: x.txt`."""
    case = class_name.split("_", 1)[-1]
    phrase = _ERROR_PHRASES.get(case, case)
    return f"{phrase}: {detail}" if detail else phrase


SYSTEM_PROMPT = """\
You are an autonomous software engineer working on a task in a Linux sandbox. The task's files \
are in {workspace}, the shell's working directory.

Every reply calls at least one tool:
- `bash` runs one command in a persistent bash shell and shows its exit code and output. Use \
non-interactive commands only (no editors, no pagers). A command is interrupted after \
{timeout} seconds.
- `write_file` creates or replaces a whole file.
- `submit` ends your work once the task is done and checked. It cannot be undone.

Work step by step: explore the files, make the change, check that it works (run the code, its \
tests or the command the task names), then call `submit`. You have at most {max_steps} replies."""


def system_prompt(workspace: str, timeout_secs: int, max_steps: int) -> str:
    return SYSTEM_PROMPT.format(workspace=workspace, timeout=timeout_secs, max_steps=max_steps)


def no_tool_call(cut_off: bool) -> str:
    """The user message answering a reply that called no tool."""
    prefix = "Your reply was cut off at the output token limit. " if cut_off else ""
    return (
        f"{prefix}Error: your reply called no tool. Every reply must call a tool: `bash` or "
        "`write_file` to work on the task, `submit` when it is done."
    )
