"""A vault with one attachment per format: sync, then keyword search cites each token's locator."""

from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
import pymupdf
import pytest

from vault_core.vault import Vault


def build_vault(root: Path) -> None:
    doc = pymupdf.open()
    for i in range(1, 4):
        page = doc.new_page()
        if i == 3:
            page.insert_text((72, 72), "Results", fontsize=20)
        page.insert_text((72, 110), f"Page {i} of the paper mentions e2epdf{i}.", fontsize=11)
    doc.set_toc([[1, "Intro", 1], [1, "Results", 3]])
    doc.save(root / "paper.pdf")

    document = docx.Document()
    document.core_properties.title = "Product Spec"
    document.add_heading("Section 2", level=1)
    document.add_heading("Section 2.3", level=2)
    document.add_paragraph("The limit is written down as e2edocx here.")
    document.save(root / "spec.docx")

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Q3"
    sheet.append(["Region", "Amount"])
    for r in range(2, 46):
        sheet.append([f"e2exlsx{r}", r])
    workbook.create_sheet("Blank")
    workbook.save(root / "budget.xlsx")

    lines = ["Name;City"] + [f"e2ecsv{r};Köln" for r in range(2, 30)]
    (root / "people.csv").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))

    (root / "page.html").write_text(
        "<html><head><title>Guide</title></head><body><nav>Home navchromezz</nav><article>"
        "<h1>Guide</h1><h2>Setup</h2><p>Set it up as the e2ehtml paragraph explains in some"
        " detail, with enough words to be the main content.</p></article></body></html>",
        encoding="utf-8",
    )
    paragraphs = [f"Paragraph {i}. " + "ordinary filler words " * 15 for i in range(8)]
    paragraphs[6] += "e2etxt"
    (root / "log.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    (root / "note.md").write_text("# Note\n\nSee [[paper.pdf]].\n", encoding="utf-8")


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Vault:
    root = tmp_path_factory.mktemp("vault")
    build_vault(root)
    opened = Vault.open(root)
    report = opened.sync()
    assert report.errors == {}
    yield opened
    opened.close()


def top(vault: Vault, token: str):
    hits = vault.search(token, mode="keyword", limit=3)
    assert hits, f"no hit for {token}"
    return hits[0]


def test_pdf_hit_cites_page(vault: Vault) -> None:
    hit = top(vault, "e2epdf3")
    assert (hit.path, hit.page, hit.heading_path) == ("paper.pdf", 3, ["Results"])
    assert hit.citation == "paper.pdf p. 3"


def test_docx_hit_has_heading_path(vault: Vault) -> None:
    hit = top(vault, "e2edocx")
    assert (hit.path, hit.title) == ("spec.docx", "Product Spec")
    assert hit.heading_path == ["Section 2", "Section 2.3"]


def test_xlsx_hit_cites_sheet_and_rows(vault: Vault) -> None:
    hit = top(vault, "e2exlsx30")
    assert (hit.path, hit.sheet, hit.row_start, hit.row_end) == ("budget.xlsx", "Q3", 22, 41)
    assert hit.citation == "budget.xlsx [Sheet: Q3] rows 22-41"


def test_csv_hit_cites_rows(vault: Vault) -> None:
    hit = top(vault, "e2ecsv25")
    assert (hit.path, hit.row_start, hit.row_end) == ("people.csv", 22, 29)


def test_html_and_txt_hits(vault: Vault) -> None:
    html = top(vault, "e2ehtml")
    assert (html.path, html.title, html.heading_path) == ("page.html", "Guide", ["Setup"])
    assert not vault.search("navchromezz", mode="keyword")
    txt = top(vault, "e2etxt")
    token_line = 13  # paragraph 6 of one-line paragraphs separated by blank lines
    assert txt.path == "log.txt" and 1 < txt.start_line <= token_line <= txt.end_line
    assert txt.citation == f"log.txt:{txt.start_line}-{txt.end_line}"
