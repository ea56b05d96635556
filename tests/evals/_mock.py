"""A mockllm model that answers the classification prompts like a (not very clever) model would.

It recognises the step from the system prompt's opening words, parses the options shown, and answers with a
fixed summary, "yes" to screening, or the first option. Every output carries a ``usage`` (without one, inspect
would try to download a tokenizer to count tokens).
"""

from __future__ import annotations

import re
from typing import Any

from inspect_ai.model import Model, ModelOutput, ModelUsage, get_model

from harness.classify._prompts import STEPS, load_prompt

_OPENINGS = {step: load_prompt(step).system[:40] for step in STEPS}
SUMMARY = "A user asks for help with a task from their job and refines the result over a few turns."


class Responder:
    """Answers by step; ``answers`` maps a step key (``"screening"``, ``"traverse.top"``, ...) to a fixed reply."""

    def __init__(self, answers: dict[str, str] | None = None):
        self.answers = answers or {}
        self.steps: list[str] = []

    def reply(self, system: str) -> str:
        step = next(s for s, opening in _OPENINGS.items() if system.startswith(opening))
        if step == "traverse":
            level = re.search(r'options at the "(\w+)" level', system).group(1)
            step = f"traverse.{level}"
            options = re.findall(r"^\d+\. (.+)$", system, re.MULTILINE)
        else:
            options = re.findall(r"^([A-Za-z_][\w ,]*?): ", system, re.MULTILINE)
        self.steps.append(step)
        if step in self.answers:
            return self.answers[step]
        return {"summary": SUMMARY, "screening": "yes"}.get(step) or options[0]

    def __call__(self, messages: list[Any], tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
        system = next((m.text for m in messages if m.role == "system"), "")
        output = ModelOutput.from_content(model="mockllm", content=self.reply(system))
        output.usage = ModelUsage(input_tokens=50, output_tokens=4, total_tokens=54)
        return output


def mock_model(answers: dict[str, str] | None = None) -> tuple[Model, Responder]:
    """A fresh ``mockllm/model`` answering through a new :class:`Responder`."""
    responder = Responder(answers)
    return get_model("mockllm/model", custom_outputs=responder, memoize=False), responder
