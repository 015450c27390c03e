"""Contract coverage as people read it: a short text table and a standalone HTML page.

Shared by the pytest plugin (terminal summary, ``--modelarts-coverage``) and the console.
"""

from __future__ import annotations

from html import escape

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef}
td.never{color:#8a1c1c}
code{font-size:.9em}
"""


def text_table(report: dict) -> list[str]:
    """One line per operation: calls, statuses, error codes received/documented, fields."""
    rows = [("operation", "calls", "statuses", "codes", "fields sent")]
    for op in report["operations"]:
        documented = len(op["documented_error_codes"])
        received = documented - len(op["error_codes_never_received"])
        fields = op["documented_fields"]
        sent = fields - len(op["fields_never_sent"])
        statuses = ",".join(op["statuses"]) or "-"
        rows.append(
            (
                op["operation_id"],
                str(op["calls"]),
                statuses,
                f"{received}/{documented}",
                f"{sent}/{fields}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    summary = report["summary"]
    lines.append(
        f"{summary['operations_called']}/{summary['operations']} operations called, "
        f"{summary['documented_error_codes_received']}/{summary['documented_error_codes']} "
        f"documented error codes received, {summary['documented_fields_sent']}/"
        f"{summary['documented_fields']} documented request fields sent"
    )
    return lines


def _codes(codes: list[str] | dict) -> str:
    return ", ".join(f"<code>{escape(str(c))}</code>" for c in codes) or "none"


def html_fragment(report: dict, heading_level: int = 2) -> str:
    """The summary and one table row per operation, each with what was never exercised."""
    h = f"h{heading_level}"
    summary = report["summary"]
    parts = [
        f"<{h}>Summary</{h}>",
        "<ul>",
        f"<li>Operations called: {summary['operations_called']} of {summary['operations']}</li>",
        f"<li>Documented error codes received: {summary['documented_error_codes_received']} of "
        f"{summary['documented_error_codes']}</li>",
        f"<li>Documented request fields sent: {summary['documented_fields_sent']} of "
        f"{summary['documented_fields']}</li>",
        f"<li>Requests to undocumented /v2 paths: {summary['undocumented_requests']}</li>",
        "</ul>",
        f"<p>{escape(report['error_code_mapping'])}</p>",
        f"<{h}>Operations</{h}>",
        '<table id="coverage"><caption>Coverage per documented operation</caption>',
        "<thead><tr><th scope=col>Operation</th><th scope=col>Calls</th>"
        "<th scope=col>Statuses</th><th scope=col>Error codes received</th>"
        "<th scope=col>Documented error codes never received</th>"
        "<th scope=col>Documented request fields never sent</th></tr></thead><tbody>",
    ]
    for op in report["operations"]:
        statuses = ", ".join(f"{s} x{n}" for s, n in op["statuses"].items()) or "none"
        received = (
            ", ".join(f"<code>{escape(c)}</code> x{n}" for c, n in op["error_codes"].items())
            or "none"
        )
        parts.append(
            f"<tr><th scope=row>{escape(op['operation_id'])}<br><small>"
            f"{escape(op['method'])} {escape(op['path'])}</small></th>"
            f"<td>{op['calls']}</td><td>{statuses}</td><td>{received}</td>"
            f"<td class=never>{_codes(op['error_codes_never_received'])}</td>"
            f"<td class=never>{_codes(op['fields_never_sent'])}</td></tr>"
        )
    parts.append("</tbody></table>")
    return "\n".join(parts)


def html_document(report: dict) -> str:
    """A standalone page (inline style, no scripts) for a CI artefact."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>ModelArts contract coverage</title>"
        f"<style>{STYLE}</style></head><body><h1>ModelArts contract coverage</h1>"
        f"{html_fragment(report)}</body></html>\n"
    )


def merge(reports: list[dict]) -> dict:
    """One report from several emulators' (pytest-xdist workers): counts add up, and a code
    or field is never exercised only when no emulator exercised it."""
    if len(reports) == 1:
        return reports[0]
    merged = {**reports[0], "operations": []}
    for index, first in enumerate(reports[0]["operations"]):
        ops = [report["operations"][index] for report in reports]
        statuses: dict[str, int] = {}
        codes: dict[str, int] = {}
        for op in ops:
            for status, n in op["statuses"].items():
                statuses[status] = statuses.get(status, 0) + n
            for code, n in op["error_codes"].items():
                codes[code] = codes.get(code, 0) + n
        never_codes = set.intersection(*(set(op["error_codes_never_received"]) for op in ops))
        never_fields = set.intersection(*(set(op["fields_never_sent"]) for op in ops))
        undocumented = set().union(*(op["undocumented_error_codes_received"] for op in ops))
        merged["operations"].append(
            {
                **first,
                "called": any(op["called"] for op in ops),
                "calls": sum(op["calls"] for op in ops),
                "statuses": dict(sorted(statuses.items())),
                "error_codes": dict(sorted(codes.items())),
                "error_codes_never_received": [
                    c for c in first["error_codes_never_received"] if c in never_codes
                ],
                "undocumented_error_codes_received": sorted(undocumented),
                "fields_never_sent": [f for f in first["fields_never_sent"] if f in never_fields],
            }
        )
    operations = merged["operations"]
    documented = sum(len(op["documented_error_codes"]) for op in operations)
    fields = sum(op["documented_fields"] for op in operations)
    merged["summary"] = {
        "operations": len(operations),
        "operations_called": sum(op["called"] for op in operations),
        "documented_error_codes": documented,
        "documented_error_codes_received": documented
        - sum(len(op["error_codes_never_received"]) for op in operations),
        "documented_fields": fields,
        "documented_fields_sent": fields - sum(len(op["fields_never_sent"]) for op in operations),
        "undocumented_requests": sum(r["summary"]["undocumented_requests"] for r in reports),
    }
    return merged
