"""The real report engine behind the web pages: demo data → a job → files that open."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import docx
import openpyxl
from flask.testing import FlaskClient

from survey_app.services import demo
from survey_app.services.clock import VN_TZ

from ..factories import login_as
from .test_report_jobs import job_id, start


def test_a_year_of_demo_data_becomes_a_report_pack(client: FlaskClient) -> None:
    units = demo.create_organisation()
    demo.generate_responses(400, seed=5)
    login_as(client, "inspector", units["MC"])
    year = str(datetime.now(VN_TZ).year)
    new = job_id(start(client, loai="nam", nam=year, moc="lich", don_vi="MC"))
    state = client.get(f"/bao-cao/{new}/trang-thai").get_json()
    assert state["status"] == "done", state

    def fetch(path: str) -> bytes:
        resp = client.get(path)
        body = resp.data
        resp.close()
        assert resp.status_code == 200, path
        return body

    book = openpyxl.load_workbook(io.BytesIO(fetch(f"/bao-cao/{new}/tai/xlsx")))
    numbers = [
        c.value
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, int | float)
    ]
    assert numbers, "the workbook holds real numbers"
    assert fetch(f"/bao-cao/{new}/tai/pdf").startswith(b"%PDF")
    word = docx.Document(io.BytesIO(fetch(f"/bao-cao/{new}/tai/docx")))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in word.tables[0].cell(0, 1).text
    assert len(word.tables) == len(book.sheetnames) - 2 + 2  # + the header and the closing
    with zipfile.ZipFile(io.BytesIO(fetch(f"/bao-cao/{new}/tai/zip"))) as pack:
        names = pack.namelist()
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".pdf") for n in names)
    html = fetch(f"/bao-cao/{new}/xem").decode()
    assert "Tóm tắt" in html and "Năm " + year in html
    assert 'id="bang-liem_chinh"' in html  # an inspector's report has the integrity rates
    charts = [part.split('"')[0] for part in html.split(f'src="/bao-cao/{new}/bieu-do/')[1:]]
    assert charts
    for name in charts:
        assert fetch(f"/bao-cao/{new}/bieu-do/{name}").lstrip().startswith(b"<")
