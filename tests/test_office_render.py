"""The Word and Excel files open in LibreOffice (Debian's, headless, in the tests only), convert to PDF with every
font embedded and render to PNG pages: what a person opening them in an office suite gets."""
from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from secondment import clock, documents, periods

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def convert(files: list[Path], out: Path, profile: Path) -> None:
    if not Path(SOFFICE).exists() or not shutil.which("pdftoppm"):
        pytest.fail("LibreOffice or poppler-utils missing: the README's test command installs "
                    "libreoffice-writer-nogui, libreoffice-calc-nogui and poppler-utils")
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), *map(str, files)], check=True, capture_output=True, timeout=240)


def fonts(pdf: Path) -> list[list[str]]:
    lines = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()
    return [line.split() for line in lines[2:] if line.strip()]


def test_documents_convert_to_pdf_with_fonts_embedded_and_render(demo_store, as_user, tmp_path):
    reviewer, secondee = as_user("demo_reviewer"), as_user("demo_secondee")
    last = periods.month(clock.today().replace(day=1) - timedelta(days=1))
    made = {}
    briefing = documents.draft_bulletin(demo_store, reviewer, "briefing", last)
    documents.issue(demo_store, reviewer, briefing)
    made["briefing"] = (briefing, reviewer)
    made["notice"] = (documents.draft_bulletin(demo_store, reviewer, "notice", last), reviewer)
    made["annual"] = (documents.draft_bulletin(demo_store, reviewer, "annual", periods.year(clock.today().year)),
                      reviewer)
    pid = secondee.participant_id
    month = documents.report_months(demo_store, secondee, pid)[-1]
    made["monthly"] = (documents.draft_report(demo_store, secondee, pid, "monthly", month=month), secondee)
    files = []
    for name, (doc_id, actor) in made.items():
        for fmt in ("docx", "xlsx"):
            path = tmp_path / f"{name}.{fmt}" if fmt == "docx" else tmp_path / f"{name}_annex.{fmt}"
            path.write_bytes(documents.file(demo_store, actor, doc_id, fmt)[0])
            files.append(path)
    appraisal = tmp_path / "appraisal.docx"
    appraisal.write_bytes(documents.appraisal_file(demo_store, reviewer, pid)[0])
    files.append(appraisal)
    out = tmp_path / "pdf"
    convert(files, out, tmp_path / "profile")
    for path in files:
        pdf = out / f"{path.stem}.pdf"
        assert pdf.exists() and pdf.stat().st_size > 2000, f"{path.name} did not convert"
        listed = fonts(pdf)
        assert listed, pdf.name
        assert all(row[-5] == "yes" for row in listed), f"{pdf.name}: a font is not embedded: {listed}"
        text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
        if path.suffix == ".docx" and path.stem != "appraisal":
            title = documents.get(demo_store, made[path.stem][1], made[path.stem][0])["title"]
            assert title.replace(" ", "")[:8] in text.replace(" ", ""), pdf.name
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(out / path.stem)],
                       check=True, capture_output=True, timeout=60)
        png = next(out.glob(f"{path.stem}-*1.png"))
        assert png.stat().st_size > 3000, f"{png.name} is blank"
    briefing_text = subprocess.run(["pdftotext", str(out / "briefing.pdf"), "-"], capture_output=True, check=True,
                                   text=True).stdout.replace(" ", "")      # pdftotext spaces out CJK and digits
    assert "双向挂职工作简报" in briefing_text and f"{clock.today().year}年第1期" in briefing_text
    assert "鉴定表" in subprocess.run(["pdftotext", str(out / "appraisal.pdf"), "-"], capture_output=True, check=True,
                                     text=True).stdout
