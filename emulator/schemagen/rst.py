"""Read the reference pages with docutils so schemas come from the tables' structure.

The pages are Sphinx reStructuredText. Plain docutils does not know Sphinx's ``:ref:``
role, so a local one is registered that keeps the link text; everything else parses
as standard docutils.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import docutils.core
import docutils.nodes as nodes
from docutils.parsers.rst import roles

_HTTP_LINE = re.compile(r"^(GET|POST|PUT|DELETE|PATCH)\s+(/\S+)$")
# An example request given as its request line: "GET https://{endpoint}/v2/...?..."
_EXAMPLE_LINE = re.compile(r"^(GET|POST|PUT|DELETE|PATCH) https://\{endpoint\}(/\S*)$")
_TABLE_TITLE = re.compile(r"^Table\s+\d+\s+(.*)$")
_STATUS_PARAGRAPH = re.compile(r"^Status code\W*(\d{3})$")
_INTRODUCES_OPTIONS = re.compile(r"\b[Oo]ptions\b")
# ``value: meaning`` at the start of a list item or after `` - `` inside one.
_PLAIN_OPTION = re.compile(r"(?:^|\s-\s+)([^\s:]+):\s")


def _ref_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    label = text.split("<", 1)[0].strip() or text
    return [nodes.inline(rawtext, label)], []


roles.register_local_role("ref", _ref_role)


@dataclass
class Row:
    """One parameter row: name, whether it is mandatory, the documented type, its cell."""

    name: str
    mandatory: bool
    type: str
    description: nodes.Element

    @property
    def text(self) -> str:
        return " ".join(self.description.astext().split())

    def options(self) -> list[str]:
        """Values listed as ``**value**: meaning`` in the description cell.

        A bold heading such as ``**Labeling Type**: Options:`` is not a value (values
        hold no spaces). Where the cell introduces a list of options, list items written
        without bold (``0: initialized``) count too.
        """
        found: list[str] = []

        def add(text: str) -> None:
            for value in text.split("/"):
                value = value.strip()
                if value and not any(c.isspace() for c in value) and value not in found:
                    found.append(value)

        for strong in self.description.findall(nodes.strong):
            siblings = strong.parent.children
            position = siblings.index(strong)
            following = siblings[position + 1] if position + 1 < len(siblings) else None
            if not isinstance(following, nodes.Text) or not str(following).startswith(":"):
                continue
            add(strong.astext())
        if found and _INTRODUCES_OPTIONS.search(self.text):
            for item in self.description.findall(nodes.list_item):
                for match in _PLAIN_OPTION.finditer(" ".join(item.astext().split())):
                    add(match.group(1))
        return found

    def default_option(self) -> str | None:
        """The option whose list item says it is the default (``**desc**: ... (default value)``)."""
        for item in self.description.findall(nodes.list_item):
            text = " ".join(item.astext().split())
            match = _PLAIN_OPTION.match(text)
            if match and "default value" in text.lower():
                return match.group(1)
        return None


@dataclass
class Table:
    """A parameter table named by its title (``SmartTaskConfig``, ``Query parameters``)."""

    name: str
    section: str
    status: int | None
    rows: list[Row]


@dataclass
class Page:
    """What one API page documents: its operation, tables, status codes and JSON examples."""

    source: str
    operation_id: str
    method: str | None
    path: str | None
    tables: list[Table] = field(default_factory=list)
    status_codes: list[int] = field(default_factory=list)
    request_examples: list[object] = field(default_factory=list)
    request_lines: list[str] = field(default_factory=list)  # "GET /v2/...?query" examples
    response_examples: dict[int, list[object]] = field(default_factory=dict)


def parse_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    original = re.search(r":original_name:\s*(\S+)", text)
    operation_id = original.group(1).removesuffix(".html") if original else path.stem
    doctree = docutils.core.publish_doctree(
        text,
        source_path=str(path),
        settings_overrides={"report_level": 5, "halt_level": 5, "file_insertion_enabled": False},
    )
    page = Page(source=path.name, operation_id=operation_id, method=None, path=None)
    status: int | None = None
    for node in doctree.findall(
        lambda n: isinstance(n, nodes.paragraph | nodes.table | nodes.literal_block)
    ):
        section = _section_id(node)
        if isinstance(node, nodes.paragraph):
            line = node.astext().strip()
            request_line = _HTTP_LINE.match(line)
            if request_line and page.method is None and section == "uri":
                page.method, page.path = request_line.group(1), request_line.group(2)
            status_line = _STATUS_PARAGRAPH.match(line)
            if status_line:
                status = int(status_line.group(1))
        elif isinstance(node, nodes.literal_block):
            _collect_example(page, section, status, node.astext())
        else:
            table = _read_table(node, section, status)
            if table is None:
                continue
            if section.startswith("status-code"):
                page.status_codes = [int(row.name) for row in table.rows if row.name.isdigit()]
            else:
                page.tables.append(table)
    return page


def _section_id(node: nodes.Node) -> str:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    if parent is None:
        return ""
    return parent["ids"][0] if parent["ids"] else ""


def _collect_example(page: Page, section: str, status: int | None, text: str) -> None:
    example_request = "request" in section and "example" in section
    line = _EXAMPLE_LINE.match(text.strip())
    if example_request and line:
        page.request_lines.append(f"{line.group(1)} {line.group(2)}")
        return
    try:
        body = json.loads(text)
    except ValueError:
        return
    if example_request:
        page.request_examples.append(body)
    elif "response" in section and "example" in section and status is not None and body != {}:
        page.response_examples.setdefault(status, []).append(body)


def _read_table(table: nodes.table, section: str, status: int | None) -> Table | None:
    title_node = table.next_node(nodes.title)
    title = title_node.astext().strip() if title_node else ""
    title_match = _TABLE_TITLE.match(title)
    name = title_match.group(1).strip() if title_match else title
    rows = list(table.findall(nodes.row))
    if not rows:
        return None
    header = [" ".join(entry.astext().split()) for entry in rows[0].findall(nodes.entry)]
    body_rows: list[Row] = []
    for row in rows[1:]:
        cells = list(row.findall(nodes.entry))
        if len(cells) != len(header):
            continue
        by_column = dict(zip(header, cells, strict=True))
        name_cell = by_column.get("Parameter") or by_column.get("Status Code")
        if name_cell is None:
            continue
        mandatory_cell = by_column.get("Mandatory")
        type_cell = by_column.get("Type")
        body_rows.append(
            Row(
                name=name_cell.astext().strip(),
                mandatory=bool(mandatory_cell) and mandatory_cell.astext().strip() == "Yes",
                type=" ".join(type_cell.astext().split()) if type_cell else "",
                description=by_column.get("Description", cells[-1]),
            )
        )
    return Table(name=name, section=section, status=status, rows=body_rows)


@dataclass
class CatalogEntry:
    status: int
    code: str
    message: str


def parse_error_catalog(path: Path) -> list[CatalogEntry]:
    """The error-code page as (status, code, wire message) rows, in page order."""
    doctree = docutils.core.publish_doctree(
        path.read_text(encoding="utf-8"),
        source_path=str(path),
        settings_overrides={"report_level": 5, "halt_level": 5},
    )
    entries: list[CatalogEntry] = []
    for table in doctree.findall(nodes.table):
        rows = list(table.findall(nodes.row))
        header = [entry.astext().strip() for entry in rows[0].findall(nodes.entry)]
        if "Error Codes" not in header:
            continue
        status_at, code_at, message_at = (
            header.index("Status Code"),
            header.index("Error Codes"),
            header.index("Error Message"),
        )
        for row in rows[1:]:
            cells = [" ".join(e.astext().split()) for e in row.findall(nodes.entry)]
            if len(cells) != len(header) or not cells[status_at].isdigit():
                continue
            entries.append(CatalogEntry(int(cells[status_at]), cells[code_at], cells[message_at]))
    return entries
