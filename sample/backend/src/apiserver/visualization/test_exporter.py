import pytest

import exporter

CSV = "name,score\nalice,3\nbob,5\n"


def test_table_renders_header_and_rows():
    out = exporter.render("table", CSV)
    assert "<th>name</th><th>score</th>" in out
    assert "<td>bob</td><td>5</td>" in out


def test_table_escapes_html():
    out = exporter.render("table", "a\n<script>x</script>\n")
    assert "<script>" not in out
    assert "&lt;script&gt;x&lt;/script&gt;" in out


def test_table_with_explicit_headers():
    out = exporter.render("table", "1,2\n", '{"headers": ["x", "y"]}')
    assert "<th>x</th><th>y</th>" in out and "<td>1</td><td>2</td>" in out


def test_summary_of_numeric_columns():
    assert exporter.summarize(CSV, {}) == {"score": {"count": 2, "min": 3.0, "max": 5.0, "mean": 4.0}}


@pytest.mark.parametrize("vis_type,source,arguments", [
    ("roc", CSV, ""),                  # unsupported type
    ("table", CSV, "[1, 2]"),          # arguments not an object
    ("table", CSV, "{not json"),       # arguments not JSON
    ("table", "a,b\n1\n", ""),         # ragged row
    ("table", "", ""),                 # no header
])
def test_bad_requests_raise(vis_type, source, arguments):
    with pytest.raises(exporter.VisualizationError):
        exporter.render(vis_type, source, arguments)
