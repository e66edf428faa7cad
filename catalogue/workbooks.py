"""Reading an uploaded Excel workbook (.xlsx) without trusting it.

An .xlsx file is a zip of XML parts. Before any part is parsed, the zip's directory is
checked: each member's uncompressed size, their total and each member's compression ratio (a
1 MB upload must not expand to hundreds of megabytes in a worker). Python's zipfile never
inflates a member past the size the directory declares, so the check cannot be lied to.

Then only the parts that hold cell values are parsed (the workbook's sheet list, its
relationships, the shared strings and the sheets), streamed through defusedxml with document
type declarations forbidden, so neither entity expansion nor external entities can happen.
A full spreadsheet library would parse styles and build objects for every cell; this reads
the values only, about ten times faster, which keeps a 2,000-row import within a request.
"""

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any

# Types only: every parse goes through defusedxml's iterparse below.
from xml.etree.ElementTree import Element, ParseError  # nosec B405

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import iterparse

MAX_MEMBER_BYTES = 40 * 1024 * 1024
MAX_TOTAL_BYTES = 60 * 1024 * 1024
MAX_RATIO = 200  # XML compresses well, but real sheets stay far below this
RATIO_CHECKED_FROM = 1024 * 1024  # tiny members may compress any amount
UNREADABLE = (
    "This is not a readable Excel workbook (.xlsx); open it in Excel and save it again, or "
    "save it as CSV UTF-8."
)
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
CELL_REFERENCE = re.compile(r"^([A-Z]{1,3})\d*$")

Rows = list[tuple[int, list[Any]]]  # (the row number Excel shows, its cell values)


class UnreadableWorkbook(Exception):
    """The upload cannot safely be read as a workbook; the message says why, in plain words."""


def read_sheets(content: bytes, *, max_rows: int) -> dict[str, Rows]:
    """Each worksheet's name and its first `max_rows` non-empty rows, in the workbook's order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as error:
        raise UnreadableWorkbook(UNREADABLE) from error
    with archive:
        check_sizes(archive)
        try:
            shared = shared_strings(archive)
            return {
                name: sheet_rows(archive, path, shared, max_rows)
                for name, path in sheet_paths(archive)
            }
        except DefusedXmlException as error:
            raise UnreadableWorkbook(
                "This is not a readable Excel workbook: it contains a document type "
                "declaration (DTD), which Excel never writes. Save it again from Excel."
            ) from error
        # A damaged or hand-made workbook: bad XML, a missing part, a value that is no number.
        except (ParseError, KeyError, IndexError, ValueError, zipfile.BadZipFile, EOFError,
                NotImplementedError) as error:  # fmt: skip
            raise UnreadableWorkbook(UNREADABLE) from error


def check_sizes(archive: zipfile.ZipFile) -> None:
    total = 0
    for member in archive.infolist():
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if (
            member.file_size > MAX_MEMBER_BYTES
            or total > MAX_TOTAL_BYTES
            or (member.file_size > RATIO_CHECKED_FROM and ratio > MAX_RATIO)
        ):
            raise UnreadableWorkbook(
                f"This workbook would expand to more than {MAX_TOTAL_BYTES // 2**20} MB, or far "
                f"more than its size suggests (its part {member.filename} alone is "
                f"{member.file_size / 2**20:,.0f} MB), so it was not opened. Save it again "
                "from Excel, or split it into smaller files."
            )


def parse(part: IO[bytes]) -> Iterator[Element]:
    """Each element of an XML part as it closes, with DTDs (and so entities) refused."""
    for _event, element in iterparse(part, events=("end",), forbid_dtd=True):
        yield element


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def sheet_paths(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip path) of each worksheet, in the order Excel shows them."""
    with archive.open("xl/_rels/workbook.xml.rels") as part:
        targets = {
            element.get("Id"): element.get("Target", "")
            for element in parse(part)
            if local(element.tag) == "Relationship"
        }
    with archive.open("xl/workbook.xml") as part:
        sheets = [
            (element.get("name", ""), targets[element.get(RELATIONSHIP_ID)])
            for element in parse(part)
            if local(element.tag) == "sheet"
        ]
    return [
        (name, target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target))
        for name, target in sheets
    ]


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    with archive.open("xl/sharedStrings.xml") as part:
        strings = []
        for element in parse(part):
            if local(element.tag) == "si":
                strings.append(rich_text(element))
                element.clear()
        return strings


def rich_text(element: Element) -> str:
    """The text of a string item: its <t>, or its runs' <t>s (phonetic guides left out)."""
    texts = []
    for child in element:
        if local(child.tag) == "t":
            texts.append(child.text or "")
        elif local(child.tag) == "r":
            texts += [t.text or "" for t in child if local(t.tag) == "t"]
    return "".join(texts)


def sheet_rows(archive: zipfile.ZipFile, path: str, shared: list[str], max_rows: int) -> Rows:
    rows: Rows = []
    with archive.open(path) as part:
        for element in parse(part):
            if local(element.tag) != "row":
                continue
            number = int(element.get("r") or (rows[-1][0] + 1 if rows else 1))
            values: list[Any] = []
            for cell in element:
                if local(cell.tag) != "c":
                    continue
                if match := CELL_REFERENCE.match(cell.get("r") or ""):
                    values += [None] * (column_index(match.group(1)) - len(values))
                values.append(cell_value(cell, shared))
            element.clear()
            rows.append((number, values))
            if len(rows) >= max_rows:
                break
    return rows


def column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def cell_value(cell: Element, shared: list[str]) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(rich_text(child) for child in cell if local(child.tag) == "is")
    value = next((child.text for child in cell if local(child.tag) == "v"), None)
    if value is None:
        return None
    if kind == "s":
        return shared[int(value)]
    if kind == "b":
        return value == "1"
    if kind in ("str", "e", "d"):
        return value
    number = float(value)
    return int(number) if number.is_integer() else number
