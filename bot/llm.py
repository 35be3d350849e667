"""The LLM door: an OpenAI-compatible model fills the query spec through a forced tool call.

The model never writes SQL and never sees account rows: it gets the question, today's date, the
field catalogue and the book's categorical values, and must answer with `query_accounts` arguments,
which are validated as a `Spec`. Any failure (network, refusal, invalid arguments) returns None so
the caller falls back to the deterministic parser. Works with OpenAI, Azure, DeepSeek, Qwen or a
local vLLM through OPENAI_BASE_URL.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import openai

from prompts import load
from store.settings import Settings
from store.spec import Spec

log = logging.getLogger(__name__)

SPEC_TOOL = "query_accounts"
EXTRACT_TOOL = "fill_fields"


def spec_tool() -> dict[str, Any]:
    """The tool definition: the Spec's JSON schema as function parameters."""
    schema = Spec.model_json_schema()
    schema.pop("title", None)
    return {
        "type": "function",
        "function": {
            "name": SPEC_TOOL,
            "description": "Query customer accounts with filters, sort, limit, group-by and "
            "aggregates. Field names must come from the catalogue in the system prompt.",
            "parameters": schema,
        },
    }


def _fields_text(context: dict[str, Any]) -> str:
    lines = []
    for f in context.get("fields", []):
        doc = f" — {f['doc']}" if f.get("doc") else ""
        lines.append(f"- {f['key']}: {f['label']} / {f.get('label_zh') or ''} — {f['type']}{doc}")
    for m in context.get("measures", []):
        lines.append(f"- {m}: event measure over window_days")
    return "\n".join(lines)


class OpenAIUnderstander:
    """handlers.services.Understander backed by the `openai` client."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.model = settings.llm_model
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self.client = client or openai.OpenAI(
            api_key=key or "unset",
            base_url=settings.openai_base_url or None,
            timeout=settings.llm_timeout,
            max_retries=0,
        )

    def _call(self, system: str, user: str, tool: dict[str, Any]) -> str | None:
        resp = self.client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            tools=[tool],
            tool_choice={"type": "function", "function": {"name": tool["function"]["name"]}},
            temperature=0,
        )
        msg = resp.choices[0].message
        calls = msg.tool_calls or []
        if not calls:
            log.info("LLM answered without a tool call")
            return None
        return calls[0].function.arguments

    def understand(self, text: str, language: str, context: dict[str, Any]) -> Spec | None:
        """The question as a validated Spec, or None (the parser takes over)."""
        system = load(
            "ask_spec",
            today=context.get("today", ""),
            language="Chinese" if language == "zh" else "English",
            fields=_fields_text(context),
            values=json.dumps(context.get("values", {}), ensure_ascii=False),
            tags=", ".join(context.get("tags", [])),
        )
        try:
            args = self._call(system, text, spec_tool())
            if not args:
                return None
            return Spec.model_validate_json(args)
        except Exception as exc:  # network, HTTP, refusal, invalid arguments
            log.warning("LLM spec failed (%s); falling back to the parser", type(exc).__name__)
            return None

    def extract(self, text: str, fields: dict[str, Any], language: str) -> dict[str, Any] | None:
        """Field values stated in a free-text answer (interviews), or None on failure."""
        props: dict[str, Any] = {}
        lines = []
        for key, desc in fields.items():
            d = desc if isinstance(desc, str) else getattr(desc, "label_en", None) or str(desc)
            props[key] = {"type": ["string", "number", "null"], "description": d}
            lines.append(f"- {key}: {d}")
        tool = {
            "type": "function",
            "function": {
                "name": EXTRACT_TOOL,
                "description": "Fill the account fields the text states.",
                "parameters": {"type": "object", "properties": props},
            },
        }
        system = load(
            "extract_fields",
            language="Chinese" if language == "zh" else "English",
            fields="\n".join(lines),
        )
        try:
            args = self._call(system, text, tool)
            if not args:
                return None
            data = json.loads(args)
            if not isinstance(data, dict):
                return None
            return {k: v for k, v in data.items() if k in fields and v not in (None, "")}
        except Exception as exc:
            log.warning("LLM extract failed (%s)", type(exc).__name__)
            return None
