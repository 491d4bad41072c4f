"""The table under each chart, written in Python: a dashboard holds hundreds of cells, and a
template loop per cell costs more than the rest of the page (every value escaped all the same)."""

import json
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from meridian.dashboards.selectors import Chart
from meridian.metrics.templatetags.metric_numbers import number

register = template.Library()


@register.simple_tag
def chart_table(chart: Chart) -> SafeString:
    """The chart's numbers as a table: a row header per row, every number linked to its items."""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in chart.columns)
    rows = []
    for row in chart.rows:
        cells = [f'<th scope="row">{escape(row[0].value)}</th>']
        for cell in row[1:]:
            text: str = escape(
                number(cell.value) if not isinstance(cell.value, str) else cell.value
            )
            if cell.url:
                text = f'<a href="{escape(cell.url)}">{text}</a>'
            cells.append(f"<td>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe(  # noqa: S308 - every piece above is escaped
        f'<table><caption class="visually-hidden">{escape(chart.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


@register.simple_tag
def charts_data(charts: list[dict[str, Any]], element_id: str) -> SafeString:
    """The charts' numbers for the page's script, as ``json_script`` writes them (``<``, ``>``
    and ``&`` as \\u escapes, so nothing in a title or label can end the element), but with
    three ``str.replace`` rather than a per-character ``str.translate`` of a large document."""
    text = (
        json.dumps(charts, separators=(",", ":"))
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
        .replace("&", "\\u0026")
    )
    return mark_safe(  # noqa: S308 - the JSON cannot hold <, > or & any more
        f'<script id="{escape(element_id)}" type="application/json">{text}</script>'
    )
