"""positions.xlsx: the register as a spreadsheet people open directly, with the same bytes
from the same inputs.

One row per position in the law's order (as the CSV, kg.rdf.tables), with names instead of ids:
kk, ru and en titles; block, tier, step, sector; qualification level and category in words;
institution types and significance level by name; ISCO-08 code and label. The header row is
frozen and filters are on.

Why post-processing: openpyxl stamps the workbook's creation and modification times and
each zip entry's time with the clock. Both are set here to the release's own date
(``modified`` in data/release.toml), and the entries are written in a fixed order, so two
builds of the same inputs give byte-identical files.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from rdflib import Graph, URIRef
from rdflib.term import Node

from kg.rdf.tables import isco_groups, label_of, position_rows
from kg.uris import KG

XLSX = "positions.xlsx"
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "Positions, spreadsheet (XLSX)"
SHEET = "Positions"

#: (header, width) of the columns, in order.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Position code", 12),
    ("Title (kk)", 60),
    ("Title (ru, unofficial)", 60),
    ("Title (en, unofficial)", 60),
    ("Block", 28),
    ("Tier", 8),
    ("Step", 6),
    ("Grade", 10),
    ("Sector", 24),
    ("Qualification level", 28),
    ("Category", 18),
    ("Institution types", 60),
    ("Significance level", 60),
    ("ISCO-08 code", 10),
    ("ISCO-08 label", 50),
    ("URI", 50),
)


def _names(g: Graph, subjects: Iterable[Node]) -> str:
    """Kazakh names (the law's words) of linked concepts, '; '-separated, in a fixed order."""
    return "; ".join(sorted(label_of(g, s, "kk") for s in subjects))


def position_table(g: Graph) -> list[list[str]]:
    """The rows of the sheet (without the header), in the law's order."""
    out = []
    for row in position_rows(g):
        pos = URIRef(row["position_uri"])
        block = g.value(pos, KG.block)
        groups = isco_groups(g, pos)
        out.append(
            [
                row["position_notation"],
                row["position_label_kk"],
                row["position_label_ru"],
                row["position_label_en"],
                f"{row['block']} · {label_of(g, block, 'kk')}" if block is not None else "",
                row["tier"],
                row["step"],
                row["grade"],
                label_of(g, g.value(pos, KG.sector), "kk"),
                label_of(g, g.value(pos, KG.qualificationLevel), "kk"),
                label_of(g, g.value(pos, KG.category), "kk"),
                _names(g, g.objects(pos, KG.institutionType)),
                label_of(g, g.value(pos, KG.significanceLevel), "kk"),
                " ".join(code for code, _ in groups),
                "; ".join(label for _, label in groups),
                row["position_uri"],
            ]
        )
    return out


def positions_xlsx(g: Graph, modified: date | str) -> bytes:
    """The workbook's bytes; `modified` (the release date) stamps it instead of the clock."""
    when = datetime.fromisoformat(str(modified)[:10])
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = SHEET
    ws.append([header for header, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in position_table(g):
        ws.append(values)
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.creator = "Register of Order No. 1042"
    wb.properties.title = "Register of civil-servant positions in the social security sector"
    wb.properties.created = when
    wb.properties.modified = when
    wb.properties.lastModifiedBy = None
    buf = io.BytesIO()
    wb.save(buf)
    return _reproducible(buf.getvalue(), when)


_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _reproducible(data: bytes, when: datetime) -> bytes:
    """The same zip with every entry dated `when` and the core properties' times set to it."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _STAMP.sub(lambda m: m[1] + stamp + m[2], body)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, body, compresslevel=9)
    return out.getvalue()
