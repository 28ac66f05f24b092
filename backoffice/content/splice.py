"""Write one changed value into a topic file, leaving every other byte as it was.

The file is composed (not loaded) with PyYAML, which keeps each scalar's
start and end offset; only that span is replaced, in the same style (a
``|`` block stays a block at its indentation, a one-line value becomes a
double-quoted string). The result is parsed again and must equal the old
data with exactly that one value changed, otherwise nothing is written.
Anchored metadata (``&meta`` / ``*meta``) is one node: changing its
``reviewed`` date changes it for every variant that refers to it, as in the file.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import yaml

_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str) -> Any:
    """Data of a file (libyaml when available: the checks parse every file several times)."""
    return yaml.load(text, Loader=_FAST)


class SpliceError(ValueError):
    """The value cannot be placed in this file (unknown response or variant, malformed YAML)."""


def clean_answer(text: str) -> str:
    """An answer as the files keep it: LF line ends, no trailing blanks per line, no blank edges."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def _child(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _variant(root: yaml.Node, response: str, index: int) -> yaml.MappingNode:
    found = _child(root, "responses")
    variants = _child(found[1], response) if found else None
    if variants is None or not isinstance(variants[1], yaml.SequenceNode):
        raise SpliceError(f"no response {response} in this file")
    items = variants[1].value
    if not 0 <= index < len(items) or not isinstance(items[index], yaml.MappingNode):
        raise SpliceError(f"{response} has no variant {index + 1}")
    return items[index]


def _compose(text: str) -> yaml.Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise SpliceError(f"the file is not valid YAML: {exc}") from exc
    if root is None:
        raise SpliceError("the file is empty")
    return root


def _block(value: str, indent: int, tail: str) -> str:
    pad = " " * indent
    body = "\n".join(pad + line if line else "" for line in value.split("\n"))
    return "|\n" + body + tail


def _render(value: str, node: yaml.ScalarNode, key_column: int, original: str) -> str:
    if node.style == "|" or "\n" in value:
        if not value or value[0] in " \t":
            raise SpliceError("an answer may not start with a blank")
        match = re.search(r"\n(?:[ \t]*\n)*\Z", original) if node.style == "|" else None
        return _block(value, key_column + 2, match.group(0) if match else "\n")
    return json.dumps(value, ensure_ascii=False)


def _replace(text: str, node: yaml.ScalarNode, key: yaml.Node, value: str) -> str:
    start, end = node.start_mark.index, node.end_mark.index
    original = text[start:end]
    rendered = _render(value, node, key.start_mark.column, original)
    if node.style != "|" and "\n" in value:
        # a one-line value became a block: the block brings its own line end
        rest = text[end:]
        if rest.startswith("\n"):
            rendered = rendered[:-1] if rendered.endswith("\n") else rendered
    return text[:start] + rendered + text[end:]


def _checked(new: str, expect: Any) -> str:
    if _load(new) != expect:
        raise SpliceError("the change would alter more than the one value; nothing written")
    return new


def set_answer(text: str, response: str, index: int, answer: str) -> str:
    """``text`` with the answer text of variant ``index`` (0-based) of ``response`` replaced."""
    answer = clean_answer(answer)
    if not answer:
        raise SpliceError("an answer may not be empty")
    variant = _variant(_compose(text), response, index)
    found = _child(variant, "text")
    if found is None or not isinstance(found[1], yaml.ScalarNode):
        raise SpliceError(f"variant {index + 1} of {response} has no text")
    key, node = found
    block = node.style == "|" or "\n" in answer
    expect = copy.deepcopy(_load(text))
    expect["responses"][response][index]["text"] = answer + "\n" if block else answer
    if found[1].value == expect["responses"][response][index]["text"]:
        return text
    return _checked(_replace(text, node, key, expect["responses"][response][index]["text"].rstrip("\n")),
                    expect)


def set_reviewed(text: str, response: str, index: int, day: str) -> str:
    """``text`` with that variant's ``metadata.reviewed`` (the shared anchor, if one) set to ``day``."""
    variant = _variant(_compose(text), response, index)
    meta = _child(variant, "metadata")
    found = _child(meta[1], "reviewed") if meta else None
    if found is None or not isinstance(found[1], yaml.ScalarNode):
        raise SpliceError(f"variant {index + 1} of {response} has no metadata.reviewed")
    node = found[1]
    new = text[:node.start_mark.index] + json.dumps(day) + text[node.end_mark.index:]
    old_data, new_data = _load(text), _load(new)
    if (new_data["responses"][response][index]["metadata"]["reviewed"] != day
            or _without_reviewed(old_data) != _without_reviewed(new_data)):
        raise SpliceError("the change would alter more than the review date; nothing written")
    return new


def _without_reviewed(data: Any) -> Any:
    data = copy.deepcopy(data)
    for variants in (data.get("responses") or {}).values():
        for variant in variants or []:
            (variant.get("metadata") or {}).pop("reviewed", None)
    return data
