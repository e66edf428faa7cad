"""Reading an uploaded Excel workbook (.xlsx) without trusting it.

An .xlsx file is a zip of XML files. Before openpyxl parses anything, the zip's directory is
checked: each member's uncompressed size, their total and each member's compression ratio
(a 1 MB upload must not expand to hundreds of megabytes in a worker). Python's zipfile never
inflates a member past the size the directory declares, so the check cannot be lied to.
XML with a document type declaration is refused outright (entity expansion and external
entities both need one), and openpyxl parses through defusedxml as a second guard.
"""

import io
import itertools
import zipfile
from typing import Any
from xml.etree.ElementTree import ParseError

MAX_MEMBER_BYTES = 40 * 1024 * 1024
MAX_TOTAL_BYTES = 60 * 1024 * 1024
MAX_RATIO = 200  # XML compresses well, but a real sheet stays far below this
RATIO_CHECKED_FROM = 1024 * 1024  # tiny members may compress any amount
PROLOGUE_BYTES = 4096  # a DOCTYPE can only come before the root element
DOCTYPE_MARKERS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
UNREADABLE = (
    "This is not a readable Excel workbook (.xlsx); open it in Excel and save it again, or "
    "save it as CSV UTF-8."
)


class UnreadableWorkbook(Exception):
    """The upload cannot safely be read as a workbook; the message says why, in plain words."""


def read_sheets(content: bytes, *, max_rows: int) -> dict[str, list[list[Any]]]:
    """Each worksheet's name and its first `max_rows` rows of cell values."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as error:
        raise UnreadableWorkbook(UNREADABLE) from error
    with archive:
        check_sizes(archive)
        check_no_doctype(archive)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            return {
                sheet.title: [
                    list(values)
                    for values in itertools.islice(sheet.iter_rows(values_only=True), max_rows)
                ]
                for sheet in workbook.worksheets
            }
        finally:
            workbook.close()
    # What a damaged or hostile workbook makes openpyxl raise (defusedxml's refusals are
    # ValueErrors; a missing part is a KeyError; bad XML is a ParseError).
    except (zipfile.BadZipFile, ParseError, KeyError, OSError, ValueError, TypeError) as error:
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
                f"This workbook would expand to more than {MAX_TOTAL_BYTES // 2**20} MB "
                f"(its part {member.filename} alone is {member.file_size // 2**20:,} MB), so "
                "it was not opened. Save it again from Excel, or split it into smaller files."
            )


def check_no_doctype(archive: zipfile.ZipFile) -> None:
    for member in archive.infolist():
        if not member.filename.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(member) as part:
                prologue = part.read(PROLOGUE_BYTES)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as error:
            raise UnreadableWorkbook(UNREADABLE) from error
        if any(marker in prologue for marker in DOCTYPE_MARKERS):
            raise UnreadableWorkbook(
                "This is not a readable Excel workbook: it contains a document type "
                "declaration (DTD), which Excel never writes. Save it again from Excel."
            )
