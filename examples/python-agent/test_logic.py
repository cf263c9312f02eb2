"""Unit tests of logic.py under plain CPython: python3 -m pytest examples/python-agent"""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import logic  # noqa: E402


def test_config_defaults_and_fields():
    assert logic.parse_config("") == logic.Config()
    assert logic.parse_config(" {} ").steps_for(30) == 30
    c = logic.parse_config('{"max_steps": 5, "temperature": 0, "command_timeout_secs": 9}')
    assert c == logic.Config(max_steps=5, temperature=0.0, command_timeout_secs=9)
    assert c.steps_for(30) == 5


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"max_step": 3}', ["unknown field `max_step`", "`max_steps`"]),
        ('{"max_steps": "3"}', ["field `max_steps`", 'got "3"']),
        ('{"max_steps": -1}', ["field `max_steps`"]),
        ('{"max_steps": true}', ["field `max_steps`"]),
        ('{"temperature": -0.5}', ["field `temperature`"]),
        ('{"command_timeout_secs": 0}', ["field `command_timeout_secs`", "integer >= 1"]),
        ("[1]", ["expected a JSON object, got an array"]),
        ("{", ["not valid JSON"]),
    ],
)
def test_config_errors_name_the_problem(text, words):
    with pytest.raises(logic.ConfigError) as e:
        logic.parse_config(text)
    message = str(e.value)
    assert message.startswith("invalid configuration: ")
    for word in words:
        assert word in message


def test_config_schema_matches_the_parser():
    assert set(logic.CONFIG_SCHEMA["properties"]) == {"max_steps", "temperature", "command_timeout_secs"}
    assert logic.CONFIG_SCHEMA["additionalProperties"] is False


def test_tool_schemas():
    assert list(logic.TOOLS) == ["bash", "write_file", "submit"]
    # The oracle calls the finish tool with its fixed arguments `{}`: nothing may be required.
    assert "required" not in logic.TOOLS["submit"][1]
    assert logic.TOOLS["bash"][1]["required"] == ["command"]
    for _, schema in logic.TOOLS.values():
        json.dumps(schema)


def test_check_arguments_accepts_and_refuses():
    assert logic.check_arguments("bash", '{"command": "ls"}') == {"command": "ls"}
    assert logic.check_arguments("submit", "{}") == {}
    cases = [
        ("bash", '{"cmd": "ls"}', "missing required argument(s): command"),
        ("bash", '{"command": 1}', "argument `command` must be a string, not a number"),
        ("write_file", '{"path": "a", "content": "", "mode": 7}', "unexpected argument(s): mode"),
        ("bash", "[1]", "must be a JSON object, not an array"),
        ("bash", "{", "not valid JSON"),
        ("python", "{}", "unknown tool `python`. The tools are `bash`, `write_file`, `submit`."),
    ]
    for tool, text, words in cases:
        with pytest.raises(logic.ArgumentError) as e:
            logic.check_arguments(tool, text)
        assert words in str(e.value), (tool, text, str(e.value))
    assert "EOF" in logic.unparsable_arguments("bash", "EOF while parsing")


def test_observation_layout():
    assert logic.observation(0, b"hi\n") == "<returncode>0</returncode>\n<output>\nhi\n</output>"
    assert logic.observation(2, b"") == "<returncode>2</returncode>\n<output>\n</output>"
    assert "a\ufffdb\n</output>" in logic.observation(0, b"a\xffb")
    timed = logic.observation(None, b"x", timed_out=True, duration_ms=120_000)
    assert timed.startswith("<warning>The command timed out after 120 s")
    assert "killed by a signal" in timed
    running = logic.observation(None, b"", still_running=True, duration_ms=10_500)
    assert "still running after 10.5 s" in running and "returncode" not in running
    assert "too long" in logic.observation(0, b"x", truncated=True)


def test_error_sentences_and_prompts():
    assert logic.describe_error("SandboxError_NotFound", "a.txt") == "not found: a.txt"
    assert logic.describe_error("SandboxError_Busy", None) == "another command is still running"
    assert logic.describe_error("LlmError_Provider", "503") == "provider error: 503"
    prompt = logic.system_prompt("/workspace", 120, 30)
    assert "/workspace" in prompt and "120 seconds" in prompt and "at most 30 replies" in prompt
    assert logic.no_tool_call(True).startswith("Your reply was cut off")
    assert "called no tool" in logic.no_tool_call(False)


def test_logic_does_not_import_the_bindings():
    source = open(logic.__file__, encoding="utf-8").read()
    assert "wit_world" not in source.replace("`wit_world`", "")
