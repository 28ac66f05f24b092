"""Write one changed value into a topic file, leaving every other byte as it was.

The file is composed (not loaded) with PyYAML, which keeps each scalar's
start and end offset; only that span is replaced, in the same style (a
``|`` block stays a block at its indentation, a one-line value becomes a
double-quoted string). The result is parsed again and must equal the old
data with exactly that one value changed, otherwise nothing is written.
Anchored metadata (``&meta`` / ``*meta``) is one node: changing its
``reviewed`` date changes it for every variant that refers to it, as in the file.
A validity window belongs to one variant, so that variant gets a mapping of its
own (``<<: *meta`` plus the dates); new and deleted variants are whole lines.
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
    merged = _child(meta[1], "<<") if meta and found is None else None
    if merged:  # a dated variant's own mapping: the date lives in the shared one it merges
        found = _child(merged[1], "reviewed")
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


# Validity windows, new and deleted variants -------------------------------------------------------------
# Windows belong to one variant, but metadata is often one anchored mapping shared by every variant
# (``&meta`` / ``*meta``): writing into it would date all of them. So a dated variant gets a mapping
# of its own that merges the shared one (``<<: *meta``) and adds only ``valid_from`` / ``valid_until``.

WINDOW_KEYS = ("valid_from", "valid_until")
_ALIAS = re.compile(r":[ \t]*\*([^\s,\[\]{}]+)")
_ANCHOR = re.compile(r":[ \t]*&([^\s,\[\]{}]+)[ \t]*\n")


def _is_alias(key: yaml.Node, node: yaml.Node) -> bool:
    """An alias node is the anchored node itself, so its marks lie before its own key."""
    return node.start_mark.index < key.end_mark.index


def _end(text: str, key: yaml.Node | None, node: yaml.Node) -> int:
    """Index just after ``node`` as written at this place (an alias: after ``*name``)."""
    if key is not None and _is_alias(key, node):
        found = _ALIAS.match(text, key.end_mark.index)
        if found is None:
            raise SpliceError("unexpected alias syntax")
        return found.end()
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False) or not node.value:
        return node.end_mark.index
    if isinstance(node, yaml.MappingNode):
        last_key, last_value = node.value[-1]
        return _end(text, last_key, last_value)
    return _end(text, None, node.value[-1])


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    if index > 0 and text[index - 1] == "\n":
        return index
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _item_span(text: str, item: yaml.MappingNode) -> tuple[int, int]:
    """Byte span of one ``- key: ...`` list item, whole lines."""
    start = _line_start(text, item.start_mark.index)
    if not re.fullmatch(r"[ \t]*-[ \t]+", text[start:item.start_mark.index]):
        raise SpliceError("this variant is not written as '- key: value' lines")
    return start, _line_end(text, _end(text, None, item))


def _window_lines(pad: str, start: str, end: str) -> str:
    return "".join(f'{pad}{key}: "{value}"\n' for key, value in zip(WINDOW_KEYS, (start, end), strict=True)
                   if value)


def _anchored(text: str, mapping: yaml.MappingNode, key: yaml.Node) -> tuple[yaml.Node, yaml.Node] | None:
    """(key, node) of the anchor defined here: ``metadata: &x`` or, in an own mapping, ``<<: &x``."""
    if _ANCHOR.match(text, key.end_mark.index):
        return key, mapping
    merged = _child(mapping, "<<")
    if merged and not _is_alias(*merged) and _ANCHOR.match(text, merged[0].end_mark.index):
        return merged
    return None


def _references(root: yaml.Node, target: yaml.Node) -> int:
    """How often ``target`` is a child in the document (an anchor plus each of its aliases)."""
    count, seen, todo = 0, set(), [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = [v for pair in node.value for v in pair] if isinstance(node, yaml.MappingNode) else (
            list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        count += sum(child is target for child in children)
        todo.extend(children)
    return count


def _expected_window(data: Any, response: str, index: int, start: str, end: str) -> Any:
    expect = copy.deepcopy(data)
    variant = expect["responses"][response][index]
    meta = dict(variant.get("metadata") or {})  # a copy: anchored metadata is one shared dict
    for key, value in zip(WINDOW_KEYS, (start, end), strict=True):
        if value:
            meta[key] = value
        else:
            meta.pop(key, None)
    variant["metadata"] = meta
    return expect


def set_window(text: str, response: str, index: int, start: str, end: str) -> str:
    """``text`` with that variant's ``valid_from`` / ``valid_until`` set ("" = open end, key removed).

    Only this variant's metadata lines change; shared (anchored) metadata stays as it is for the others.
    """
    data = _load(text)
    expect = _expected_window(data, response, index, start, end)
    if expect == data:
        return text
    item = _variant(_compose(text), response, index)
    found = _child(item, "metadata")
    if found is None:
        pad = " " * item.start_mark.column
        at = _line_end(text, _end(text, None, item))
        return _checked(text[:at] + f"{pad}metadata:\n" + _window_lines(pad + "  ", start, end) + text[at:],
                        expect)
    key, node = found
    pad = " " * (key.start_mark.column + 2)
    if _is_alias(key, node):
        alias = _ALIAS.match(text, key.end_mark.index)
        assert alias is not None  # _end checked it
        own = f":\n{pad}<<: *{alias.group(1)}\n" + _window_lines(pad, start, end)
        return _checked(text[:key.end_mark.index] + own.rstrip("\n") + text[alias.end():], expect)
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        raise SpliceError(f"variant {index + 1} of {response} has metadata the console cannot change")
    anchor = _ANCHOR.match(text, key.end_mark.index)
    if anchor and node.value:
        body = _line_start(text, node.value[0][0].start_mark.index)
        body_end = _line_end(text, _end(text, key, node))
        moved = "".join("  " + line if line.strip() else line
                        for line in text[body:body_end].splitlines(keepends=True))
        own = f":\n{pad}<<: &{anchor.group(1)}\n{moved}" + _window_lines(pad, start, end)
        return _checked(text[:key.end_mark.index] + own + text[body_end:], expect)
    merged = _child(node, "<<")
    if merged and not (start or end) and {k.value for k, _ in node.value} <= {"<<", *WINDOW_KEYS}:
        return _checked(_shared_again(text, key, node, merged), expect)
    return _checked(_set_keys(text, key, node, start, end), expect)


def _shared_again(text: str, key: yaml.Node, node: yaml.MappingNode, merged: tuple[yaml.Node, yaml.Node]
                  ) -> str:
    """A window removed again: ``metadata: *x`` / ``metadata: &x`` as before, byte for byte."""
    stop = _line_end(text, _end(text, key, node))
    alias = _ALIAS.match(text, merged[0].end_mark.index)
    if alias:
        return text[:key.end_mark.index] + f": *{alias.group(1)}\n" + text[stop:]
    anchor = _ANCHOR.match(text, merged[0].end_mark.index)
    if anchor is None or not isinstance(merged[1], yaml.MappingNode) or not merged[1].value:
        raise SpliceError("unexpected merge syntax")
    body = _line_start(text, merged[1].value[0][0].start_mark.index)
    body_end = _line_end(text, _end(text, merged[0], merged[1]))
    moved = "".join(line[2:] if line.startswith("  ") else line
                    for line in text[body:body_end].splitlines(keepends=True))
    return text[:key.end_mark.index] + f": &{anchor.group(1)}\n" + moved + text[stop:]


def _set_keys(text: str, key: yaml.Node, node: yaml.MappingNode, start: str, end: str) -> str:
    """Window keys replaced, removed or appended inside a block mapping of the variant's own."""
    pad = " " * (node.value[0][0].start_mark.column if node.value else key.start_mark.column + 2)
    edits: list[tuple[int, int, str]] = []
    missing = {}
    for name, value in zip(WINDOW_KEYS, (start, end), strict=True):
        pair = _child(node, name)
        if pair is None:
            if value:
                missing[name] = value
        elif value:
            edits.append((pair[1].start_mark.index, pair[1].end_mark.index, json.dumps(value)))
        else:
            edits.append((_line_start(text, pair[0].start_mark.index),
                          _line_end(text, pair[1].end_mark.index), ""))
    if missing:
        at = _line_end(text, _end(text, key, node))
        edits.append((at, at, _window_lines(pad, missing.get("valid_from", ""),
                                            missing.get("valid_until", ""))))
    for begin, stop, value in sorted(edits, reverse=True):
        text = text[:begin] + value + text[stop:]
    return text


def delete_variant(text: str, response: str, index: int) -> str:
    """``text`` without that variant's lines; refused when others use metadata anchored in it."""
    root = _compose(text)
    item = _variant(root, response, index)
    data = _load(text)
    if len(data["responses"][response]) < 2:
        raise SpliceError(f"variant {index + 1} is the only variant of {response}")
    found = _child(item, "metadata")
    if found and not _is_alias(*found) and isinstance(found[1], yaml.MappingNode):
        anchored = _anchored(text, found[1], found[0])
        if anchored and _references(root, anchored[1]) > 1:
            raise SpliceError(f"variant {index + 1} of {response} holds metadata other variants share")
    start, stop = _item_span(text, item)
    expect = copy.deepcopy(data)
    del expect["responses"][response][index]
    return _checked(text[:start] + text[stop:], expect)


def add_variant(text: str, response: str, index: int, answer: str, start: str, end: str) -> str:
    """``text`` with a copy of variant ``index`` (condition, channel, metadata) inserted right after it,
    with ``answer`` and the window ``start``..``end``; shared metadata is referred to, not copied."""
    item = _variant(_compose(text), response, index)
    begin, stop = _item_span(text, item)
    copied = text[begin:stop]
    found = _child(item, "metadata")
    if found and not _is_alias(*found) and isinstance(found[1], yaml.MappingNode):
        anchored = _anchored(text, found[1], found[0])
        if anchored:  # a second definition would rebind the anchor: the copy refers to it instead
            key, node = anchored
            name = _ANCHOR.match(text, key.end_mark.index)
            assert name is not None
            body_end = _line_end(text, _end(text, key, node))
            copied = text[begin:key.end_mark.index] + f": *{name.group(1)}\n" + text[body_end:stop]
    new = text[:stop] + copied + text[stop:]
    new = set_answer(new, response, index + 1, answer)
    new = set_window(new, response, index + 1, start, end)
    data = _load(text)
    expect = _expected_window(data, response, index, start, end)
    added = expect["responses"][response][index]
    added["text"] = _load(new)["responses"][response][index + 1]["text"]
    expect["responses"][response][index] = data["responses"][response][index]
    expect["responses"][response].insert(index + 1, added)
    if clean_answer(str(added["text"])) != clean_answer(answer):
        raise SpliceError("the new variant's text did not come out as written; nothing written")
    return _checked(new, expect)

