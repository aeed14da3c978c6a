"""Deterministic mutators of real inputs, for the parser fuzz tests and the build-level fuzz suite.

A mutator is `mutator(data, rng) -> bytes`: a pure function of the input and of a
`random.Random` seeded by the caller, so every run tries the same inputs. They are
grouped by what they understand:

- BYTE_MUTATORS: any file (flipped bytes, truncation, invalid UTF-8, NUL, cut or copied spans);
- JSON_MUTATORS: a JSON response (type swaps anywhere, dropped keys, duplicated or removed
  items, huge strings, lone surrogates escaped or raw, deep nesting);
- xml_mutators(tags): markup (duplicated or removed `tags` elements, huge text, UTF-16 with
  and without a byte-order mark, Latin-1, an entity declaration, a long prolog, bad
  character references, deep nesting, dangling rid references);
- CSV_MUTATORS: a CSV export with one row per line (unterminated quotes, Latin-1 and
  Windows-1252 bytes, a field over the csv module's limit and one over ours, extra and
  missing fields, multi-line fields, CRLF, blank lines, bare carriage returns, duplicated,
  removed and shuffled rows).

`mutations(data, mutators, seeds)` gives (name, seed, mutated bytes) for every pair.
"""
import json
import random
import re
from collections.abc import Callable, Iterator

Mutator = Callable[[bytes, random.Random], bytes]
HUGE_CHARS = 1_100_000  # over parsers.feeds.record.MAX_FIELD_CHARS (1,048,576)
OVER_CSV_DEFAULT = 200_000  # over the csv module's default field limit (131,072), under ours


def mutations(data: bytes, mutators: dict[str, Mutator], seeds) -> Iterator[tuple[str, int, bytes]]:
    """(mutator name, seed, mutated data) for every mutator and seed."""
    for name, mutator in mutators.items():
        for seed in seeds:
            yield name, seed, mutator(data, random.Random(f"{name}:{seed}"))


# ---------------------------------------------------------------- bytes


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if mutated:
            mutated[rng.randrange(len(mutated))] ^= rng.randrange(1, 256)
    return bytes(mutated)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def insert_invalid_utf8(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice([b"\xe9", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x93"]) + data[at:]


def insert_nul(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\x00" + data[at:]


def cut_span(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data) + 1)
    return data[:start] + data[start + rng.randint(1, max(1, len(data) // 20)):]


def copy_span(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data) + 1)
    span = data[start:start + rng.randint(1, max(1, len(data) // 20))]
    at = rng.randrange(len(data) + 1)
    return data[:at] + span + data[at:]


BYTE_MUTATORS: dict[str, Mutator] = {
    "flip_bytes": flip_bytes, "truncate": truncate, "insert_invalid_utf8": insert_invalid_utf8,
    "insert_nul": insert_nul, "cut_span": cut_span, "copy_span": copy_span,
}

# ---------------------------------------------------------------- JSON

TYPE_POOL = [None, True, False, 0, -7, 3.25, 10**30, "", "x", "10.1101/000001", "\ud800", [], ["x"], [None],
             [1, "a"], {}, {"a": 1}, {"date-parts": [[2020, 13, 10**30]]}, "<b>bold</b> &amp; <i>"]


def _containers(payload) -> list:
    """Every dict and list inside `payload`, outermost first."""
    found, stack = [], [payload]
    while stack:
        node = stack.pop()
        if isinstance(node, (dict, list)):
            found.append(node)
            stack.extend(node.values() if isinstance(node, dict) else node)
    return found


def _json_mutator(change: Callable[[object, random.Random], None], raw: bool = False) -> Mutator:
    """A mutator that loads the JSON, lets `change` edit it in place, and dumps it (non-JSON is left as is).

    `raw` writes non-ASCII characters as UTF-8 bytes, and lone surrogates as the (invalid) bytes
    of their code points, instead of as escapes.
    """
    def mutate(data: bytes, rng: random.Random) -> bytes:
        try:
            payload = json.loads(data)
        except ValueError:
            return data
        holder = [payload]
        change(holder, rng)
        if raw:
            return json.dumps(holder[0], ensure_ascii=False).encode("utf-8", "surrogatepass")
        return json.dumps(holder[0]).encode("utf-8")
    return mutate


def _random_slot(holder, rng: random.Random, want=None) -> tuple[object, object] | None:
    """(container, key) of a random value in the payload (optionally only values for which `want` holds)."""
    slots = [(node, key) for node in _containers(holder) for key in (node if isinstance(node, dict) else range(len(node)))]
    slots = [slot for slot in slots if slot[0] is not holder] or slots
    if want is not None:
        slots = [(node, key) for node, key in slots if want(node[key])]
    return rng.choice(slots) if slots else None


def _swap_type(holder, rng):
    slot = _random_slot(holder, rng)
    if slot:
        slot[0][slot[1]] = rng.choice(TYPE_POOL)


def _drop_key(holder, rng):
    dicts = [node for node in _containers(holder[0]) if isinstance(node, dict) and node]
    if dicts:
        node = rng.choice(dicts)
        del node[rng.choice(list(node))]


def _item_lists(holder) -> list[list]:
    return [node for node in _containers(holder[0]) if isinstance(node, list) and node and isinstance(node[0], dict)]


def _duplicate_item(holder, rng):
    lists = _item_lists(holder)
    if lists:
        items = rng.choice(lists)
        items.insert(rng.randrange(len(items) + 1), json.loads(json.dumps(rng.choice(items))))


def _remove_item(holder, rng):
    lists = _item_lists(holder)
    if lists:
        items = rng.choice(lists)
        del items[rng.randrange(len(items))]


def _huge_string(holder, rng):
    slot = _random_slot(holder, rng, want=lambda value: isinstance(value, str))
    if slot:
        slot[0][slot[1]] = "lorem ipsum " * (HUGE_CHARS // 12 + 1)


def _lone_surrogate(holder, rng):
    slot = _random_slot(holder, rng, want=lambda value: isinstance(value, str))
    if slot:
        text = slot[0][slot[1]]
        at = rng.randrange(len(text) + 1)
        slot[0][slot[1]] = text[:at] + rng.choice(["\ud800", "\udfff", "\udc80"]) + text[at:]


def _deep_nesting(holder, rng):
    slot = _random_slot(holder, rng)
    if slot:
        value: object = "deep"
        for _ in range(rng.choice([40, 400])):
            value = [value]
        slot[0][slot[1]] = value


JSON_MUTATORS: dict[str, Mutator] = {
    "swap_type": _json_mutator(_swap_type), "drop_key": _json_mutator(_drop_key),
    "duplicate_item": _json_mutator(_duplicate_item), "remove_item": _json_mutator(_remove_item),
    "huge_string": _json_mutator(_huge_string), "lone_surrogate": _json_mutator(_lone_surrogate),
    "raw_surrogates": _json_mutator(_lone_surrogate, raw=True), "deep_nesting": _json_mutator(_deep_nesting),
}

# ---------------------------------------------------------------- markup

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")


def _elements(data: bytes, tags: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) byte spans of `<tag ...>...</tag>` elements (non-greedy, so not always balanced)."""
    names = "|".join(re.escape(tag) for tag in tags)
    return [match.span() for match in re.finditer(rb"<(" + names.encode() + rb")[\s>].*?</\1>", data, re.DOTALL)]


def _without_declaration(data: bytes) -> bytes:
    return _DECLARATION.sub(b"", data, count=1).lstrip(b"\xef\xbb\xbf")


def _after_prolog(data: bytes, rng: random.Random) -> int:
    """A random position just after a start tag (inside an element)."""
    positions = [match.end() for match in re.finditer(rb"<[A-Za-z][^<>!?]*>", data)]
    return rng.choice(positions) if positions else len(data)


def xml_mutators(tags: tuple[str, ...]) -> dict[str, Mutator]:
    """Markup mutators; the element ones work on `tags` (a feed's record element, JATS paragraphs...)."""

    def duplicate_element(data, rng):
        spans = _elements(data, tags)
        if not spans:
            return data
        start, end = rng.choice(spans)
        return data[:end] + data[start:end] + data[end:]

    def remove_element(data, rng):
        spans = _elements(data, tags)
        if not spans:
            return data
        start, end = rng.choice(spans)
        return data[:start] + data[end:]

    def huge_text(data, rng):
        at = _after_prolog(data, rng)
        return data[:at] + b"lorem ipsum " * (HUGE_CHARS // 12 + 1) + data[at:]

    def utf16(data, rng):
        text = _without_declaration(data).decode("utf-8", "replace")
        codec = rng.choice(["utf-16", "utf-16-le", "utf-16-be"])  # "utf-16" writes a byte-order mark
        return ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode(codec)

    def latin1(data, rng):
        text = _without_declaration(data).decode("utf-8", "replace")
        return b'<?xml version="1.0" encoding="ISO-8859-1"?>' + text.encode("latin-1", "xmlcharrefreplace")

    def declare_entity(data, rng):
        body = _without_declaration(data)
        body = re.sub(rb"<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", b"", body, count=1, flags=re.DOTALL)
        root = re.search(rb"<([A-Za-z][\w:.\-]*)", body)
        name = root.group(1) if root else b"x"
        entity = rng.choice([b'<!ENTITY ext SYSTEM "file:///etc/hostname">', b'<!ENTITY e "expanded">',
                             b'<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd">'])
        padding = b"<!-- " + b"x" * 70_000 + b" -->" if rng.random() < 0.5 else b""
        at = _after_prolog(body, rng)
        body = body[:at] + b"&e;" + body[at:] if b'"expanded"' in entity else body
        return b'<?xml version="1.0"?>' + padding + b"<!DOCTYPE " + name + b" [" + entity + b"]>" + body

    def long_prolog(data, rng):
        declaration = _DECLARATION.match(data)
        end = declaration.end() if declaration else 0
        return data[:end] + b"\n<!-- " + b"prolog " * 10_000 + b"-->\n<?pi x?>\n" + data[end:]

    def bad_character(data, rng):
        at = _after_prolog(data, rng)
        return data[:at] + rng.choice([b"&#xD800;", b"&#1;", b"\x01", b"&undefined;", b"]]>"]) + data[at:]

    def deep_nesting(data, rng):
        at = _after_prolog(data, rng)
        depth = rng.choice([100, 300])
        return data[:at] + b"<italic>" * depth + b"deep" + b"</italic>" * depth + data[at:]

    def dangling_references(data, rng):
        return re.sub(rb'rid="[^"]*"', lambda m: b'rid="' + rng.choice([b"nowhere", b"", b"a b c"]) + b'"', data)

    return {
        "duplicate_element": duplicate_element, "remove_element": remove_element, "huge_text": huge_text,
        "utf16": utf16, "latin1": latin1, "declare_entity": declare_entity, "long_prolog": long_prolog,
        "bad_character": bad_character, "deep_nesting": deep_nesting, "dangling_references": dangling_references,
    }


# ---------------------------------------------------------------- CSV (one row per line)


def _rows(data: bytes) -> tuple[bytes, list[bytes]]:
    """(header line, data lines) of a CSV file whose rows are one line each."""
    lines = data.split(b"\n")
    return lines[0], [line for line in lines[1:] if line.strip()]


def _csv_mutator(change: Callable[[list[bytes], random.Random], None]) -> Mutator:
    def mutate(data: bytes, rng: random.Random) -> bytes:
        header, rows = _rows(data)
        if not rows:
            return data
        change(rows, rng)
        return b"\n".join([header, *rows]) + b"\n"
    return mutate


def _unterminated_quote(rows, rng):
    index = rng.randrange(len(rows))
    row = rows[index]
    closers = [match.start() for match in re.finditer(rb'"(?=,|\r?$)', row)]
    if closers and rng.random() < 0.7:
        at = rng.choice(closers)
        rows[index] = row[:at] + row[at + 1:]
    else:
        starts = [0] + [match.end() for match in re.finditer(rb",(?!\")", row)]
        at = rng.choice(starts)
        rows[index] = row[:at] + b'"' + row[at:]


def _latin1_byte(rows, rng):
    index = rng.randrange(len(rows))
    text = rows[index].decode("utf-8", "replace")
    if any(ord(char) > 127 for char in text) and rng.random() < 0.5:
        rows[index] = text.encode("cp1252", "replace")
    else:
        at = rng.randrange(len(rows[index]) + 1)
        rows[index] = rows[index][:at] + rng.choice([b"\xe9", b"\x93quoted\x94"]) + rows[index][at:]


def _field_of(size: int):
    def change(rows, rng):
        index = rng.randrange(len(rows))
        rows[index] = b'"' + b"lorem ipsum " * (size // 12 + 1) + b'",' + rows[index].split(b",", 1)[-1]
    return change


def _extra_field(rows, rng):
    index = rng.randrange(len(rows))
    rows[index] = rows[index] + b",extra"


def _missing_field(rows, rng):
    index = rng.randrange(len(rows))
    rows[index] = rows[index].split(b",", 1)[-1]


def _multiline_field(rows, rng):
    index = rng.randrange(len(rows))
    head, _, rest = rows[index].partition(b",")
    rows[index] = b'"' + head.replace(b'"', b"") + b'\nsecond line\n\nfourth line",' + rest


def _crlf(rows, rng):
    rows[:] = [row.rstrip(b"\r") + b"\r" for row in rows]


def _blank_lines(rows, rng):
    for _ in range(rng.randint(1, 3)):
        rows.insert(rng.randrange(len(rows) + 1), rng.choice([b"", b"   ", b"\r"]))


def _bare_carriage_return(rows, rng):
    index = rng.randrange(len(rows))
    at = rng.randrange(len(rows[index]) + 1)
    rows[index] = rows[index][:at] + b"\r" + rows[index][at:]


def _duplicate_row(rows, rng):
    rows.insert(rng.randrange(len(rows) + 1), rng.choice(rows))


def _remove_row(rows, rng):
    del rows[rng.randrange(len(rows))]


def _shuffle_rows(rows, rng):
    rng.shuffle(rows)


CSV_MUTATORS: dict[str, Mutator] = {
    "unterminated_quote": _csv_mutator(_unterminated_quote), "latin1_byte": _csv_mutator(_latin1_byte),
    "field_over_csv_default": _csv_mutator(_field_of(OVER_CSV_DEFAULT)), "huge_field": _csv_mutator(_field_of(HUGE_CHARS)),
    "extra_field": _csv_mutator(_extra_field), "missing_field": _csv_mutator(_missing_field),
    "multiline_field": _csv_mutator(_multiline_field), "crlf": _csv_mutator(_crlf),
    "blank_lines": _csv_mutator(_blank_lines), "bare_carriage_return": _csv_mutator(_bare_carriage_return),
    "duplicate_row": _csv_mutator(_duplicate_row), "remove_row": _csv_mutator(_remove_row),
    "shuffle_rows": _csv_mutator(_shuffle_rows),
}
