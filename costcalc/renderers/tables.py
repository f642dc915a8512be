"""Markdown and HTML building blocks every report format shares: tables and one
self-contained HTML page (inline CSS and a few lines of JavaScript to sort tables;
nothing is fetched from the network)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

Cell = object


@dataclass(frozen=True, slots=True)
class Value:
    """A cell shown as ``text`` but sorted by ``sort`` (HTML ``data-sort``); ``css`` adds
    a class to the HTML cell (``good``, ``bad``, ``warn``, ``dim``)."""

    text: str
    sort: int | float | None = None
    css: str = ""


def _text(value: Cell) -> str:
    if isinstance(value, Value):
        return value.text
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Cell]],
                   numeric: Sequence[bool] | None = None) -> str:  # fmt: skip
    """A GitHub-flavoured Markdown table; numeric columns right-aligned."""
    numeric = numeric or [False] * len(columns)
    align = ["---:" if n else "---" for n in numeric]
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join(align) + " |"]
    for row in rows:
        cells = [_text(v).replace("|", "\\|").replace("\n", " ") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Cell]],
               numeric: Sequence[bool] | None = None, sortable: bool = True,
               table_id: str | None = None,
               row_classes: Sequence[str] | None = None) -> str:  # fmt: skip
    """An HTML table; numeric cells carry their exact value in data-sort for sorting.
    ``row_classes``: one CSS class per row ("" for none)."""
    numeric = numeric or [False] * len(columns)
    head = "".join(
        f'<th class="{"num" if n else ""}">{html.escape(c)}</th>'
        for c, n in zip(columns, numeric, strict=True)
    )
    body = []
    for index, row in enumerate(rows):
        cells = []
        for value, is_number in zip(row, numeric, strict=True):
            key = value.sort if isinstance(value, Value) else value
            sort = (
                f' data-sort="{key}"'
                if is_number and isinstance(key, int | float) and not isinstance(key, bool)
                else ""
            )
            classes = " ".join(
                c for c in ("num" if is_number else "", getattr(value, "css", "")) if c
            )
            cls = f' class="{classes}"' if classes else ""
            cells.append(f"<td{cls}{sort}>{html.escape(_text(value))}</td>")
        row_class = row_classes[index] if row_classes else ""
        tr = f'<tr class="{html.escape(row_class)}">' if row_class else "<tr>"
        body.append(tr + "".join(cells) + "</tr>")
    attrs = (f' id="{html.escape(table_id)}"' if table_id else "") + (
        ' class="sortable"' if sortable else ""
    )
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}
th{background:#f6f8fa;position:sticky;top:0}
.sortable th{cursor:pointer;user-select:none}.sortable th:hover{background:#eaeef2}
th[data-dir=asc]::after{content:" \\25B2";font-size:.7em}
th[data-dir=desc]::after{content:" \\25BC";font-size:.7em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.summary td:first-child{font-weight:600}
.warn{color:#9a6700}.bad{color:#cf222e}.good{color:#1a7f37}
img.plot{max-width:100%;border:1px solid #d0d7de;margin:.5rem 0}
footer{margin-top:2rem;color:#57606a;font-size:.8rem}
"""

_SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
  var b=t.tBodies[0],r=Array.from(b.rows),num=th.classList.contains('num');
  var asc=th.dataset.dir?th.dataset.dir!=='asc':!num;
  t.querySelectorAll('th').forEach(function(o){delete o.dataset.dir;});
  th.dataset.dir=asc?'asc':'desc';
  function key(c){var k=parseFloat(c.dataset.sort);return isNaN(k)?-Infinity:k;}
  r.sort(function(x,y){var a=x.cells[i],c=y.cells[i],v;
   if(num){var p=key(a),q=key(c);v=p===q?0:(p<q?-1:1);}
   else{v=a.textContent.localeCompare(c.textContent,undefined,{numeric:true});}
   return asc?v:-v;});
  r.forEach(function(row){b.appendChild(row);});});});});
"""


def html_document(
    title: str, sections: Sequence[tuple[str, str]], footer: str = "", css: str = ""
) -> str:
    """One self-contained page: ``sections`` are (heading, inner HTML) pairs; ``css`` is
    added to the page's own style sheet."""
    parts = [f"<h2>{html.escape(h)}</h2>\n{body}" if h else body for h, body in sections]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}{css}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>\n"
        + "\n".join(parts)
        + (f"<footer>{html.escape(footer)}</footer>" if footer else "")
        + f"<script>{_SORT_JS}</script></body></html>\n"
    )
