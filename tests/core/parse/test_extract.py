"""Attachment extractors on real files built here with the same libraries (no binaries in git)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import docx
import openpyxl
import pymupdf
import pytest
from extract_support import LIMITS, PAGE, assert_clean_error, only

from vault_core.config import Limits
from vault_core.parse.extract import (
    EXTRACTORS,
    Extracted,
    ExtractError,
    extract_file,
    supported_extensions,
)
from vault_core.parse.extract import pdf as pdf_module

# ---------------------------------------------------------------------------- registry


def test_registry_covers_every_format() -> None:
    expected = {".pdf", ".docx", ".xlsx", ".csv", ".tsv", ".html", ".htm", ".txt", ".rst", ".org"}
    assert expected <= supported_extensions()
    assert all(callable(fn) for fn in EXTRACTORS.values())


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    odd = tmp_path / "thing.xyz"
    odd.write_text("hello")
    assert "unsupported file type" in assert_clean_error(odd)
    assert "cannot read file" in assert_clean_error(tmp_path / "missing.pdf")


# ---------------------------------------------------------------------------- PDF


def _image_page(doc: pymupdf.Document, text: str = "") -> None:
    """A page that is only a picture (of `text`, if given), like a scan."""
    if text:
        source = pymupdf.open()
        page = source.new_page(width=600, height=200)
        page.insert_text((20, 100), text, fontsize=36)
        pix = page.get_pixmap(dpi=150)
    else:
        pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
        pix.clear_with(180)
    doc.new_page().insert_image(pymupdf.Rect(36, 72, 576, 252), pixmap=pix)


def make_pdf(path: Path, *, outline: bool = True, pages: int = 5, scan_text: str = "") -> Path:
    doc = pymupdf.open()
    headings = {0: "Introduction", 1: "Background", 3: "Results"}
    for i in range(pages):
        if i == 2:
            _image_page(doc, scan_text)
            continue
        page = doc.new_page()
        y = 72
        if i in headings:
            page.insert_text((72, y), headings[i], fontsize=20)
            y += 40
        body = f"Body text on page {i + 1} has token pdftok{i + 1}."
        page.insert_text((72, y), body, fontsize=11)
        page.insert_text((72, y + 16), "A second line of ordinary body text.", fontsize=11)
    if outline:
        doc.set_toc([[1, "Introduction", 1], [2, "Background", 2], [1, "Results", 4]])
    doc.set_metadata({"title": "Widget Paper"})
    doc.save(path)
    return path


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine without Tesseract: empty PATH, no TESSDATA_PREFIX."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    pdf_module._tessdata.cache_clear()
    yield
    pdf_module._tessdata.cache_clear()


def test_pdf_pages_outline_breadcrumbs_and_ocr_warning(tmp_path: Path, no_tesseract: None) -> None:
    result = extract_file(make_pdf(tmp_path / "paper.pdf"), LIMITS)
    assert result.title == "Widget Paper"
    first = only(result, "pdftok1")
    assert (first.page, first.heading_path) == (1, ["Introduction"])
    second = only(result, "pdftok2")
    assert (second.page, second.heading_path) == (2, ["Introduction", "Background"])
    fourth = only(result, "pdftok4")
    assert (fourth.page, fourth.heading_path) == (4, ["Results"])
    assert only(result, "pdftok5").page == 5  # the heading stack carries over to later pages
    assert "page 3 needs OCR (tesseract not found)" in result.warnings
    assert all(s.page != 3 for s in result.sections)
    assert all("Introduction" not in s.text for s in result.sections)  # headings live in the path


def test_pdf_font_size_headings_without_outline(tmp_path: Path, no_tesseract: None) -> None:
    result = extract_file(make_pdf(tmp_path / "plain.pdf", outline=False), LIMITS)
    assert only(result, "pdftok1").heading_path == ["Introduction"]
    assert only(result, "pdftok2").heading_path == ["Background"]
    assert only(result, "pdftok5").heading_path == ["Results"]


def test_pdf_max_pages_truncates_with_warning(tmp_path: Path, no_tesseract: None) -> None:
    result = extract_file(make_pdf(tmp_path / "long.pdf"), Limits(max_pages=2))
    assert "truncated at 2 pages (of 5)" in result.warnings
    assert {s.page for s in result.sections} == {1, 2}


def test_pdf_text_cap_from_max_file_bytes(tmp_path: Path, no_tesseract: None) -> None:
    result = extract_file(make_pdf(tmp_path / "capped.pdf"), Limits(max_file_bytes=60))
    assert any(w.startswith("truncated at page") for w in result.warnings)
    assert {s.page for s in result.sections} == {1}


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_pdf_scanned_page_is_ocred_when_tesseract_exists(tmp_path: Path) -> None:
    pdf_module._tessdata.cache_clear()
    result = extract_file(make_pdf(tmp_path / "scan.pdf", scan_text="SCANNED QUOKKA"), LIMITS)
    assert not any("needs OCR" in w for w in result.warnings)
    assert only(result, "QUOKKA").page == 3


def test_pdf_encrypted_truncated_and_junk(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf")
    doc = pymupdf.open(good)
    doc.save(tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u")
    doc.close()
    assert assert_clean_error(tmp_path / "locked.pdf") == "PDF is encrypted (password required)"

    data = good.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    try:  # MuPDF may repair a cut file; either way: readable pages or one clear reason
        result = extract_file(cut, LIMITS)
        assert "pdftok1" in result.sections[0].text
    except ExtractError as exc:
        assert "\n" not in str(exc)

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    assert assert_clean_error(junk).startswith("not a readable PDF")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert assert_clean_error(empty) == "empty file"


# ---------------------------------------------------------------------------- DOCX


def make_docx(path: Path, *, title: str | None = "Product Spec") -> Path:
    document = docx.Document()
    if title:
        document.core_properties.title = title
    document.add_heading("Product Spec", level=0)
    document.add_paragraph("Opening words with docxintro before any heading.")
    document.add_heading("Section 2", level=1)
    document.add_paragraph("General part of section two.")
    document.add_heading("Section 2.3", level=2)
    document.add_paragraph("Limits apply: docxlimit is the token.")
    table = document.add_table(rows=1, cols=3)
    for cell, name in zip(table.rows[0].cells, ("Part", "Qty", "Note"), strict=True):
        cell.text = name
    for i in range(25):
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = f"part{i}", str(i), f"docxrow{i}"
    document.add_paragraph("After the table: docxafter.")
    document.add_heading("Appendix", level=1)
    document.add_paragraph("The end, docxappendix.")
    document.save(path)
    return path


def test_docx_headings_tables_and_order(tmp_path: Path) -> None:
    result = extract_file(make_docx(tmp_path / "spec.docx"), LIMITS)
    assert result.title == "Product Spec"
    assert only(result, "docxintro").heading_path == []
    assert only(result, "docxlimit").heading_path == ["Section 2", "Section 2.3"]
    assert only(result, "docxappendix").heading_path == ["Appendix"]
    row = only(result, "docxrow3")
    assert row.atomic and row.heading_path == ["Section 2", "Section 2.3"]
    assert row.text.splitlines()[0] == "Part | Qty | Note"
    assert row.row_start is None  # table-relative rows would cite nowhere; the heading path does
    last = only(result, "docxrow24")  # 25 rows: batches of 20 + 5, each with the header
    assert last.text.splitlines() == ["Part | Qty | Note"] + [
        f"part{i} | {i} | docxrow{i}" for i in range(20, 25)
    ]
    order = [s.text for s in result.sections]
    limit_at = next(i for i, t in enumerate(order) if "docxlimit" in t)
    table_at = next(i for i, t in enumerate(order) if "docxrow0" in t)
    after_at = next(i for i, t in enumerate(order) if "docxafter" in t)
    assert limit_at < table_at < after_at


def test_docx_title_falls_back_to_title_paragraph(tmp_path: Path) -> None:
    result = extract_file(make_docx(tmp_path / "untitled.docx", title=None), LIMITS)
    assert result.title == "Product Spec"


def test_docx_that_is_a_zip_of_junk(tmp_path: Path) -> None:
    fake = tmp_path / "fake.docx"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("junk.bin", b"\x00\x01 nothing word-like here")
    assert assert_clean_error(fake) == "not a readable .docx: the package has no word/document.xml"
    noise = tmp_path / "noise.docx"
    noise.write_bytes(b"PK\x03\x04" + b"\xfe" * 500)
    assert assert_clean_error(noise).startswith("not a readable .docx")


# ---------------------------------------------------------------------------- XLSX


def make_xlsx(path: Path, rows: int = 45) -> Path:
    """Sheet Q3: header + `rows` data rows with a formula column; an empty sheet; a small sheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Q3"
    sheet.append(["Region", "Budget", "Double"])
    for i in range(rows):
        r = i + 2
        sheet.append([f"region{r}", r * 10, f"=B{r}*2"])
    workbook.create_sheet("Empty")
    notes = workbook.create_sheet("Notes")
    notes.append([None])
    notes.append(["Key", "Value"])
    notes.append(["owner", "xlsxowner"])
    workbook.save(path)
    # openpyxl never calculates; store cached results as a spreadsheet app would
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = re.sub(
        r'<c r="C(\d+)"><f>B\d+\*2</f><v\s*/?>(?:</v>)?',
        lambda m: f'<c r="C{m.group(1)}"><f>B{m.group(1)}*2</f><v>{int(m.group(1)) * 20}</v>',
        xml,
    )
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_xlsx_sheets_row_batches_and_cached_formula_values(tmp_path: Path) -> None:
    result = extract_file(make_xlsx(tmp_path / "budget.xlsx"), LIMITS)
    assert result.title == "budget"
    batch = only(result, "region30")
    assert (batch.sheet, batch.row_start, batch.row_end, batch.atomic) == ("Q3", 22, 41, True)
    lines = batch.text.splitlines()
    assert lines[:2] == ["[Sheet: Q3]", "Region | Budget | Double"]
    assert "region30 | 300 | 600" in lines  # the cached value, not the formula
    assert "B30*2" not in batch.text
    assert (only(result, "region46").row_start, only(result, "region46").row_end) == (42, 46)
    assert {s.sheet for s in result.sections} == {"Q3", "Notes"}  # the empty sheet adds nothing
    owner = only(result, "xlsxowner")
    assert (owner.sheet, owner.row_start, owner.row_end) == ("Notes", 3, 3)
    assert owner.text.splitlines()[1] == "Key | Value"


def test_xlsx_max_rows_truncates_across_sheets(tmp_path: Path) -> None:
    result = extract_file(make_xlsx(tmp_path / "big.xlsx"), Limits(max_rows=30))
    assert "truncated at 30 rows (in sheet 'Q3')" in result.warnings
    assert max(s.row_end or 0 for s in result.sections if s.sheet == "Q3") == 31
    assert not any(s.sheet == "Notes" for s in result.sections)


def test_xlsx_junk(tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a spreadsheet at all")
    assert assert_clean_error(junk).startswith("not a readable .xlsx")


# ---------------------------------------------------------------------------- damaged files


def test_damaged_files_give_a_result_or_a_one_line_reason(
    tmp_path: Path, no_tesseract: None
) -> None:
    """Cut and scribbled-over copies of every format: never a crash, never a traceback."""
    import random

    rng = random.Random(11)
    sources = [
        make_pdf(tmp_path / "src.pdf"),
        make_docx(tmp_path / "src.docx"),
        make_xlsx(tmp_path / "src.xlsx"),
        tmp_path / "src.csv",
        tmp_path / "src.html",
        tmp_path / "src.txt",
    ]
    sources[3].write_text("a;b\n" + "x;y\n" * 200, encoding="utf-8")
    sources[4].write_text(PAGE, encoding="utf-8")
    sources[5].write_text("words and more words\n\n" * 100, encoding="utf-8")
    outcomes = {"ok": 0, "error": 0}
    for source in sources:
        data = source.read_bytes()
        for trial in range(12):
            damaged = bytearray(data[: rng.randrange(1, len(data))] if trial % 2 else data)
            if trial % 3 == 0:
                for _ in range(30):
                    damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            target = tmp_path / f"damaged{source.suffix}"
            target.write_bytes(bytes(damaged))
            try:
                result = extract_file(target, LIMITS)
            except ExtractError as exc:
                assert str(exc) and "\n" not in str(exc) and "Traceback" not in str(exc)
                outcomes["error"] += 1
            else:
                assert isinstance(result, Extracted)
                outcomes["ok"] += 1
    assert outcomes["ok"] and outcomes["error"]  # both paths were exercised
