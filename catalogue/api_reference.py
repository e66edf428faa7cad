"""The API's reference page, read off its OpenAPI document: every operation with its
parameters and responses, and every object with its fields.

Rendered on the server in the site's own layout, so it works without JavaScript, under the
strict Content-Security-Policy, at any width and with assistive technology (the Swagger UI
it replaces failed axe and had no way back to the site). The document itself stays at
/api/schema/ for tools.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

REF = "#/components/schemas/"
VALUES_SHOWN = 12  # longer lists of allowed values fold away
WORDS = {"string": "text", "integer": "whole number", "boolean": "true or false"}
FORMATS = {"uri": "URL", "date-time": "date and time (ISO 8601)", "date": "date (ISO 8601)"}


def code_spans(text: str) -> SafeString:
    """Plain text with `backticks` set as code, everything escaped."""
    parts = re.split(r"`([^`]+)`", text)  # plain, code, plain, code, ..., plain
    pairs = zip(parts[::2], [*parts[1::2], ""], strict=True)
    return format_html_join(
        "",
        "{}{}",
        ((plain, format_html("<code>{}</code>", code) if code else "") for plain, code in pairs),
    )


@dataclass
class Type:
    """A schema in words, naming the object it refers to (if any) for a link."""

    words: str = ""
    ref: str = ""
    values: list[str] = field(default_factory=list)
    nullable: bool = False

    @property
    def folded(self) -> bool:
        return len(self.values) > VALUES_SHOWN


def describe(schema: dict) -> Type:
    if "$ref" in schema:
        return Type(ref=schema["$ref"].removeprefix(REF), nullable=schema.get("nullable", False))
    for combined in ("allOf", "oneOf", "anyOf"):
        if parts := [describe(part) for part in schema.get(combined, [])]:
            real = [part for part in parts if part.ref != "NullEnum"] or parts
            found = real[0]
            found.nullable = schema.get("nullable", False) or len(real) < len(parts)
            return found
    if schema.get("type") == "array":
        items = describe(schema.get("items", {}))
        words = f"list of {items.words or 'objects'}" if not items.ref else "list of"
        return Type(words, items.ref, items.values, schema.get("nullable", False))
    if "enum" in schema:
        return Type("one of", values=[str(v) for v in schema["enum"] if v not in ("", None)])
    kind = schema.get("type", "object")
    words = FORMATS.get(schema.get("format", ""), WORDS.get(kind, kind))
    return Type(words, nullable=schema.get("nullable", False))


def operations(document: dict) -> list[dict]:
    found = []
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            found.append(
                {
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "example": "" if "{" in path else path,
                    "description": code_spans(operation.get("description", "")),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": describe(parameter.get("schema", {})),
                            "description": code_spans(parameter.get("description", "")),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "responses": [
                        {
                            "status": status,
                            "description": response.get("description", "") or "Success.",
                            "type": describe(
                                response.get("content", {})
                                .get("application/json", {})
                                .get("schema", {})
                            ),
                        }
                        for status, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return found


def objects(document: dict) -> list[dict]:
    found = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        if name == "NullEnum":
            continue
        required = set(schema.get("required", []))
        found.append(
            {
                "name": name,
                "description": code_spans(schema.get("description", "")),
                "type": describe(schema) if "properties" not in schema else None,
                "fields": [
                    {
                        "name": field_name,
                        "type": describe(field_schema),
                        "required": field_name in required,
                        "description": code_spans(
                            field_schema.get("description", field_schema.get("title", ""))
                        ),
                    }
                    for field_name, field_schema in schema.get("properties", {}).items()
                ],
            }
        )
    return found


def reference(document: dict) -> dict:
    info = document.get("info", {})
    return {
        "title": info.get("title", "API"),
        "version": info.get("version", ""),
        "description": code_spans(info.get("description", "")),
        "operations": operations(document),
        "objects": objects(document),
    }
