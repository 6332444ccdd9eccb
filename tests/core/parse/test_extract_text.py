"""Text-like extractors (CSV, HTML, plain text, reST/Org) and damaged files of every format."""

from __future__ import annotations

from pathlib import Path

from extract_support import LIMITS, PAGE, assert_clean_error, only

from vault_core.config import Limits
from vault_core.parse.extract import (
    extract_file,
)

# ---------------------------------------------------------------------------- CSV


def test_csv_latin1_semicolon(tmp_path: Path) -> None:
    lines = ["Name;Stadt;Betrag"] + [f"Müller{i};Köln;{i},50" for i in range(30)]
    path = tmp_path / "kunden.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    result = extract_file(path, LIMITS)
    batch = only(result, "Müller25 |")
    assert batch.text.splitlines()[0] == "Name | Stadt | Betrag"
    assert "Müller25 | Köln | 25,50" in batch.text
    assert (batch.row_start, batch.row_end, batch.atomic) == (22, 31, True)
    assert (batch.start_line, batch.end_line) == (22, 31)


def test_csv_multiline_field_lines_and_records(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('id,text\n1,"first\nspans two lines"\n2,csvsecond\n', encoding="utf-8")
    section = only(extract_file(path, LIMITS), "csvsecond")
    assert (section.row_start, section.row_end) == (2, 3)
    assert (section.start_line, section.end_line) == (2, 4)
    assert "first spans two lines" in section.text


def test_csv_limits_and_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("a,b\n" + "".join(f"x{i},y{i}\n" for i in range(100)), encoding="utf-8")
    result = extract_file(path, Limits(max_rows=50))
    assert "truncated at 50 rows" in result.warnings
    assert max(s.row_end or 0 for s in result.sections) == 51
    small = extract_file(path, Limits(max_file_bytes=100))
    assert small.warnings and small.warnings[0].startswith("truncated at")
    assert all("y" in line for s in small.sections for line in s.text.splitlines()[1:])

    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"k,v\nok,caf\xc3\xa9\nbad,\xff\xfe\xfd csvmixed\n")
    assert "csvmixed" in extract_file(mixed, LIMITS).sections[0].text
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"a,b\n\x00\x01\x02\x00" * 20)
    assert "binary content" in assert_clean_error(binary)


# ---------------------------------------------------------------------------- HTML


def test_html_main_text_title_and_headings(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(PAGE, encoding="utf-8")
    result = extract_file(path, LIMITS)
    assert result.title == "Widget Guide"
    assert only(result, "htmlinstall").heading_path == ["Installation"]
    assert only(result, "htmlcaveat").heading_path == ["Installation", "Caveats"]
    text = " ".join(s.text for s in result.sections)
    assert "navchromezz" not in text and "footerchromezz" not in text
    assert "headerchromezz" not in text


def test_html_tiny_page_and_binary(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.htm"
    tiny.write_text("<html><body><p>htmltiny</p></body></html>", encoding="utf-8")
    result = extract_file(tiny, LIMITS)
    assert result.title == "tiny" and "htmltiny" in result.sections[0].text
    binary = tmp_path / "binary.html"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert "binary content" in assert_clean_error(binary)


# ---------------------------------------------------------------------------- plain text


def test_txt_paragraph_groups_with_line_ranges(tmp_path: Path) -> None:
    paragraphs = [f"Paragraph {i} says txttok{i}.\n" + "filler words " * 20 for i in range(12)]
    path = tmp_path / "log.txt"
    path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    result = extract_file(path, Limits(chunk_chars=600))
    assert len(result.sections) > 1  # grouped, not one blob and not one per paragraph
    assert len(result.sections) < len(paragraphs)
    section = only(result, "txttok5")
    lines = path.read_text().splitlines()
    assert "txttok5" in "\n".join(lines[section.start_line - 1 : section.end_line])
    assert lines[section.start_line - 1].strip() and lines[section.end_line - 1].strip()


def test_rst_and_org_headings(tmp_path: Path) -> None:
    rst = tmp_path / "manual.rst"
    rst.write_text(
        "=====\nGuide\n=====\n\nIntro text rstintro.\n\nSetup\n-----\n\nSteps rstsetup.\n\n"
        "Details\n~~~~~~~\n\nFine print rstdetail.\n\nUsage\n-----\n\nRun it rstusage.\n",
        encoding="utf-8",
    )
    result = extract_file(rst, LIMITS)
    assert result.title == "Guide"  # a title at the very top is the document's title
    assert only(result, "rstintro").heading_path == []
    assert only(result, "rstdetail").heading_path == ["Setup", "Details"]
    usage = only(result, "rstusage")
    assert usage.heading_path == ["Usage"] and usage.start_line == usage.end_line == 20

    org = tmp_path / "plan.org"
    org.write_text(
        "#+TITLE: Project Plan\n\n* Goals :work:\nShip orggoal.\n** Stretch\nMaybe orgstretch.\n",
        encoding="utf-8",
    )
    result = extract_file(org, LIMITS)
    assert result.title == "Project Plan"
    assert only(result, "orggoal").heading_path == ["Goals"]
    assert only(result, "orgstretch").heading_path == ["Goals", "Stretch"]
    assert all("#+TITLE" not in s.text for s in result.sections)


def test_text_truncation_and_invalid_bytes(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(("é" * 40 + "\n\n").encode("utf-8") * 100)
    result = extract_file(path, Limits(max_file_bytes=1001))  # cuts a 2-byte character in half
    assert result.warnings == ["truncated at 1001 bytes (file is 8.0 KB)"]
    assert "\ufffd" not in "".join(s.text for s in result.sections)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Grüße aus Köln, txtlatin.".encode("cp1252"))
    assert "Grüße aus Köln" in extract_file(latin, LIMITS).sections[0].text
