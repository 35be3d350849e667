"""Interview templates: YAML data, validated into pydantic models, bilingual.

A template has groups (the four parts of a B2B profile) of questions; each question binds to one
profile field (an account column, `custom:<key>`, `contact:<ROLE>` or `contact:<ROLE>.<attr>`,
`notes:<label>`) with a type and validation. The packaged default lives in
handlers/templates/default.yaml; admins store their own in the database (shared by every bot
instance) with `profilebot interview templates add FILE`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from store import interviews
from store.fields import ACCOUNT_FIELDS
from store.models import BUYING_ROLES

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
QUESTION_TYPES = (
    "text",
    "number",
    "integer",
    "money",
    "date",
    "choice",
    "city",
    "industry",
    "person",
)
# account columns an interview may write (identity and ownership are not interview facts)
WRITABLE_COLUMNS = {
    f.key
    for f in ACCOUNT_FIELDS
    if f.key not in ("account_id", "name", "domain", "owner", "csm", "tier", "status", "notes")
}
CONTACT_ATTRS = ("name", "title", "attitude", "influence", "email", "phone")


class TemplateError(ValueError):
    """A template that cannot be used; the message names the question and the fix."""


class Text(BaseModel):
    en: str
    zh: str

    def get(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


class Choice(BaseModel):
    value: str
    en: str | None = None
    zh: str | None = None
    aliases: list[str] = Field(default_factory=list)

    def label(self, language: str) -> str:
        return (self.zh if language == "zh" else self.en) or self.en or self.value


class Question(BaseModel):
    id: str
    field: str
    type: Literal[
        "text", "number", "integer", "money", "date", "choice", "city", "industry", "person"
    ]
    ask: Text
    hint: Text | None = None
    choices: list[Choice] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None
    sensitive: bool = False
    note: Text | None = None
    open: bool = False
    level: int = 1
    on_filled: Literal["skip", "confirm"] | None = None

    @model_validator(mode="after")
    def _check(self) -> Question:
        kind = self.kind
        if kind == "account" and self.field not in WRITABLE_COLUMNS:
            raise ValueError(
                f"question '{self.id}': field '{self.field}' is not an interview field; use one "
                f"of {', '.join(sorted(WRITABLE_COLUMNS))}, custom:<key>, contact:EB|TB|UB"
                "[.attr] or notes:<label>"
            )
        if kind == "contact" and self.role not in BUYING_ROLES:
            raise ValueError(f"question '{self.id}': contact role must be one of EB, TB, UB")
        if kind == "contact" and self.attr is None and self.type != "person":
            raise ValueError(f"question '{self.id}': field '{self.field}' needs type: person")
        if self.type == "person" and (kind != "contact" or self.attr is not None):
            raise ValueError(f"question '{self.id}': type person binds to contact:EB|TB|UB")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"question '{self.id}': a choice question needs its choices")
        if kind == "contact" and self.attr == "attitude" and not self.choices:
            raise ValueError(f"question '{self.id}': attitude needs choices")
        return self

    @property
    def kind(self) -> str:
        """account | custom | contact | notes."""
        if self.field.startswith("custom:"):
            return "custom"
        if self.field.startswith("contact:"):
            return "contact"
        if self.field.startswith("notes:"):
            return "notes"
        return "account"

    @property
    def role(self) -> str | None:
        if self.kind != "contact":
            return None
        return self.field.split(":", 1)[1].split(".", 1)[0].upper()

    @property
    def attr(self) -> str | None:
        if self.kind != "contact" or "." not in self.field:
            return None
        return self.field.split(".", 1)[1]

    @property
    def custom_key(self) -> str | None:
        return self.field.split(":", 1)[1] if self.kind == "custom" else None

    @property
    def choice_dicts(self) -> list[dict[str, Any]]:
        return [c.model_dump() for c in self.choices]

    def choice_label(self, value: Any, language: str) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label(language)
        return str(value)


class Group(BaseModel):
    id: str
    title: Text
    dimension: str = "firmographic"
    questions: list[Question]


class Template(BaseModel):
    name: str
    version: int = 1
    title: Text
    on_filled: Literal["skip", "confirm"] = "skip"
    groups: list[Group]

    @model_validator(mode="after")
    def _unique(self) -> Template:
        ids: set[str] = set()
        fields: set[str] = set()
        for q in self.questions:
            if q.id in ids:
                raise ValueError(f"question id '{q.id}' is used twice")
            if q.field in fields:
                raise ValueError(f"field '{q.field}' is asked twice (question '{q.id}')")
            ids.add(q.id)
            fields.add(q.field)
        if not ids:
            raise ValueError("the template has no questions")
        return self

    @property
    def questions(self) -> list[Question]:
        return [q for g in self.groups for q in g.questions]

    def question(self, qid: str | None) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def by_field(self, field: str) -> Question | None:
        return next((q for q in self.questions if q.field == field), None)

    def group_of(self, qid: str) -> Group | None:
        return next((g for g in self.groups if any(q.id == qid for q in g.questions)), None)

    def on_filled_for(self, q: Question) -> str:
        return q.on_filled or self.on_filled


def parse_template(text: str, source: str = "template") -> Template:
    """A template from YAML text; TemplateError says where it is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: expected a mapping with name, title and groups")
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'template'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        raise TemplateError(f"{source}: {problems}") from exc


@functools.cache
def packaged(name: str) -> Template | None:
    """A template shipped with the package (handlers/templates/<name>.yaml)."""
    path = TEMPLATES_DIR / f"{name}.yaml"
    if not path.is_file():
        return None
    return parse_template(path.read_text(encoding="utf-8"), str(path))


def packaged_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES_DIR.glob("*.yaml"))


def load(session: Any, name: str = "default") -> Template:
    """The named template: an admin-stored one first, else the packaged one."""

    body = interviews.template_text(session, name)
    if body is not None:
        return parse_template(body, f"stored template '{name}'")
    tpl = packaged(name)
    if tpl is None:
        raise TemplateError(
            f"no interview template named '{name}': see `profilebot interview templates list`"
        )
    return tpl
