"""scratch"""
from pathlib import Path
import time
from flask import Flask
from survey_app.services.reports import ReportSpec, build, write, Letterhead
from . import golden

def test_scratch(app: Flask) -> None:
    golden.build()
    report = build(ReportSpec("2026-Q1"))
    out = Path("/tmp/docxrun")
    t = time.perf_counter()
    write(report, out / "bc.docx", "docx", Letterhead(parent_agency="UBND tỉnh Thử Nghiệm", place="Thử Nghiệm", number="5", symbol="TTPVHCC", signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", signer_name="Nguyễn Văn A"))
    print("docx", time.perf_counter() - t)
    write(report, out / "bc.xlsx", "xlsx")
