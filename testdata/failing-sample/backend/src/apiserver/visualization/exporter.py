"""Renders visualizations to HTML.

KFP's visualization server runs a notebook per visualization type and exports
it with nbconvert; this sample renders the two simplest types directly:

* ``table``:   CSV text as an HTML table (``headers`` argument optional)
* ``summary``: count/min/max/mean of every numeric CSV column
"""
import csv
import html
import io
import json
import statistics

TYPES = ("table", "summary")


class VisualizationError(ValueError):
    """A request that cannot be rendered (the server answers 400)."""


def parse_arguments(text):
    """Parses the JSON ``arguments`` of a request into a dict."""
    if not text:
        return {}
    try:
        args = json.loads(text)
    except json.JSONDecodeError as e:
        raise VisualizationError(f"arguments are not valid JSON: {e}") from e
    if not isinstance(args, dict):
        raise VisualizationError("arguments must be a JSON object")
    return args


def read_rows(source, headers=None):
    """Returns (headers, rows) of CSV text; the first row is the header
    unless headers are given."""
    rows = [r for r in csv.reader(io.StringIO(source)) if r]
    if headers is None:
        if not rows:
            raise VisualizationError("source has no header row")
        headers, rows = rows[0], rows[1:]
    for i, row in enumerate(rows, start=1):
        if len(row) != len(headers):
            raise VisualizationError(f"row {i} has {len(row)} columns, expected {len(headers)}")
    return list(headers), rows


def render_table(source, arguments):
    headers, rows = read_rows(source, arguments.get("headers"))
    out = ["<table class=\"kfp-table\">", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
    for row in rows:
        # Deliberate bug (failing-sample fixture): cells are not escaped;
        # test_table_escapes_html catches it.
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def summarize(source, arguments):
    """Returns {column: {count, min, max, mean}} for numeric columns."""
    headers, rows = read_rows(source, arguments.get("headers"))
    summary = {}
    for i, name in enumerate(headers):
        try:
            values = [float(r[i]) for r in rows]
        except ValueError:
            continue
        if values:
            summary[name] = {"count": len(values), "min": min(values), "max": max(values),
                             "mean": statistics.fmean(values)}
    return summary


def render_summary(source, arguments):
    summary = summarize(source, arguments)
    out = ["<table class=\"kfp-summary\">", "<tr><th>column</th><th>count</th><th>min</th><th>max</th><th>mean</th></tr>"]
    for name, s in summary.items():
        out.append(f"<tr><td>{html.escape(name)}</td><td>{s['count']}</td><td>{s['min']:g}</td>"
                   f"<td>{s['max']:g}</td><td>{s['mean']:g}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def render(vis_type, source, arguments_text=""):
    """Renders one visualization request to an HTML fragment."""
    arguments = parse_arguments(arguments_text)
    if vis_type == "table":
        return render_table(source, arguments)
    if vis_type == "summary":
        return render_summary(source, arguments)
    raise VisualizationError(f"unsupported visualization type {vis_type!r}; supported: {', '.join(TYPES)}")
