"""Extractor throughput: generate documents (or take a folder of real ones), extract, one JSON.

Usage:
    python -m bench.measure.extract                 # generated: 200-page PDF, 20k-row XLSX and CSV, DOCX...
    python -m bench.measure.extract --dir PATH      # every supported file under PATH, totals per extension
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.harness import emit
from vault_core.config import Limits
from vault_core.parse.extract import ExtractError, extract_file, supported_extensions

WORDS = [
    "budget",
    "forecast",
    "widget",
    "quarterly",
    "region",
    "revenue",
    "margin",
    "supplier",
    "contract",
    "delivery",
    "schedule",
    "analysis",
    "method",
    "result",
    "sample",
    "measure",
    "error",
    "model",
    "baseline",
    "outline",
    "summary",
    "review",
    "draft",
    "policy",
    "account",
    "ledger",
    "invoice",
    "payment",
    "customer",
    "product",
    "service",
    "support",
    "release",
    "version",
]


def sentence(rng: random.Random, n: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_pdf(path: Path, pages: int, rng: random.Random) -> None:
    import pymupdf

    doc = pymupdf.open()
    toc = []
    for i in range(pages):
        page = doc.new_page()
        y = 72.0
        if i % 10 == 0:
            title = f"Chapter {i // 10 + 1}"
            page.insert_text((72, y), title, fontsize=18)
            toc.append([1, title, i + 1])
            y += 30
        while y < 760:
            page.insert_text((72, y), sentence(rng, 11), fontsize=10)
            y += 14
    doc.set_toc(toc)
    doc.save(path, garbage=3, deflate=True)


def make_xlsx(path: Path, rows: int, rng: random.Random) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append(["id", "region", "product", "amount", "note"])
    for i in range(rows):
        amount = rng.random() * 1e4
        sheet.append([i, rng.choice(WORDS), rng.choice(WORDS), amount, sentence(rng, 6)])
    workbook.save(path)


def make_csv(path: Path, rows: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id;region;product;amount;note\n")
        for i in range(rows):
            amount = f"{rng.random() * 1e4:.2f}"
            fh.write(f"{i};{rng.choice(WORDS)};{rng.choice(WORDS)};{amount};{sentence(rng, 6)}\n")


def make_docx(path: Path, paragraphs: int, rng: random.Random) -> None:
    import docx

    document = docx.Document()
    for i in range(paragraphs):
        if i % 20 == 0:
            document.add_heading(f"Section {i // 20 + 1}", level=1)
        document.add_paragraph(" ".join(sentence(rng) for _ in range(3)))
    document.save(path)


def make_html(path: Path, paragraphs: int, rng: random.Random) -> None:
    body = "".join(
        (f"<h2>Part {i // 10 + 1}</h2>" if i % 10 == 0 else "")
        + f"<p>{' '.join(sentence(rng) for _ in range(3))}</p>"
        for i in range(paragraphs)
    )
    nav = "<nav>" + "".join(f"<a href='/{w}'>{w}</a>" for w in WORDS) + "</nav>"
    html = f"<html><head><title>Bench</title></head><body>{nav}<article>{body}</article>"
    path.write_text(html + "<footer>footer</footer></body></html>", encoding="utf-8")


def make_txt(path: Path, paragraphs: int, rng: random.Random) -> None:
    text = "\n\n".join(" ".join(sentence(rng) for _ in range(4)) for _ in range(paragraphs))
    path.write_text(text + "\n", encoding="utf-8")


def timed(path: Path, limits: Limits) -> tuple[float, int, int, list[str]]:
    start = time.perf_counter()
    result = extract_file(path, limits)
    seconds = time.perf_counter() - start
    chars = sum(len(s.text) for s in result.sections)
    return seconds, chars, len(result.sections), result.warnings


def generated(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(7)
    limits = Limits(max_file_bytes=512 * 1024 * 1024)
    out: dict[str, object] = {}
    total_bytes = total_chars = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        specs = [
            ("pdf", "paper.pdf", make_pdf, args.pdf_pages, "pages"),
            ("xlsx", "table.xlsx", make_xlsx, args.rows, "rows"),
            ("csv", "table.csv", make_csv, args.rows, "rows"),
            ("docx", "report.docx", make_docx, args.docx_paragraphs, "paragraphs"),
            ("html", "page.html", make_html, args.paragraphs, "paragraphs"),
            ("txt", "notes.txt", make_txt, args.paragraphs, "paragraphs"),
        ]
        for name, filename, make, count, unit in specs:
            path = folder / filename
            make(path, count, rng)
            extract_file(path, limits)  # warm-up: first-call imports are not throughput
            runs = [timed(path, limits) for _ in range(args.repeat)]
            seconds = min(r[0] for r in runs)
            _, chars, sections, warnings = runs[0]
            size = path.stat().st_size
            total_bytes += size
            total_chars += chars
            out[name] = {
                unit: count,
                f"{unit}_per_s": round(count / seconds, 1),
                "seconds": round(seconds, 4),
                "sections": sections,
                "input_mb": round(size / 2**20, 3),
                "chars_per_mb": round(chars / (size / 2**20)),
                "warnings": warnings,
            }
    out["total_chars_per_mb"] = round(total_chars / (total_bytes / 2**20))
    return out


def folder(root: Path) -> dict[str, object]:
    limits = Limits(max_file_bytes=512 * 1024 * 1024)
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    errors: list[str] = []
    for path in sorted(root.rglob("*")):
        ext = path.suffix.lower()
        if not path.is_file() or ext not in supported_extensions():
            continue
        try:
            seconds, chars, sections, _ = timed(path, limits)
        except ExtractError as exc:
            errors.append(f"{path.relative_to(root)}: {exc}")
            continue
        entry = stats[ext]
        entry["files"] += 1
        entry["seconds"] += seconds
        entry["chars"] += chars
        entry["sections"] += sections
        entry["input_mb"] += path.stat().st_size / 2**20
    result: dict[str, object] = {}
    for ext, entry in sorted(stats.items()):
        result[ext] = {
            "files": int(entry["files"]),
            "seconds": round(entry["seconds"], 3),
            "files_per_s": round(entry["files"] / max(entry["seconds"], 1e-9), 1),
            "chars_per_mb": round(entry["chars"] / max(entry["input_mb"], 1e-9)),
            "sections": int(entry["sections"]),
        }
    result["errors"] = errors[:20]
    result["error_count"] = len(errors)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="extract every supported file under this folder")
    parser.add_argument("--pdf-pages", type=int, default=200)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--docx-paragraphs", type=int, default=1_000)
    parser.add_argument("--paragraphs", type=int, default=1_000, help="for HTML and TXT")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the fastest counts")
    args = parser.parse_args()
    report: dict[str, object] = {
        "bench": "extract",
    }
    report.update(folder(args.dir) if args.dir else generated(args))
    emit(report)


if __name__ == "__main__":
    main()
