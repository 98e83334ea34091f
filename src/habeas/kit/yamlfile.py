"""YAML reading that remembers line numbers, so errors can name file, line and field."""

from __future__ import annotations

from typing import Any

import yaml

from habeas.kit.errors import ValidationFailed

LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
    keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise yaml.constructor.ConstructorError(None, None, f"duplicate key(s): {', '.join(sorted(duplicates))}", node.start_mark)
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def decode(data: bytes, filename: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationFailed(
            f"{filename}: not UTF-8 text (byte {exc.start}, line {line})",
            code="bad_encoding",
            details=[{"file": filename, "row": line, "field": None, "message": "the file must be saved as UTF-8"}],
        ) from None
    if "\x00" in text:
        raise ValidationFailed(f"{filename}: binary data, not a text file", code="bad_encoding",
                               details=[{"file": filename, "row": None, "field": None, "message": "binary data (a NUL byte): not a text file"}])
    return text


def load(data: bytes, filename: str) -> Any:
    text = decode(data, filename)
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValidationFailed(
            f"{filename}: malformed YAML" + (f" at line {line}" if line else "") + f": {problem}",
            code="malformed_yaml",
            details=[{"file": filename, "row": line, "field": None, "message": f"malformed YAML: {problem}"}],
        ) from None


def line_of(node: Any) -> int | None:
    return node.get(LINE) if isinstance(node, dict) else None


def strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
