"""Tests for the printable A6 QR counter cards (survey_app.services.org.qrcards).

The PDF is checked end to end with poppler (pdfinfo/pdftotext/pdftoppm) and zbar (zbarimg):
the QR must decode to the exact URL and the Vietnamese text must extract with diacritics.
"""

import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from survey_app.services.org.qrcards import Card, render_pdf, render_svg, write_cards

SVG_NS = "{http://www.w3.org/2000/svg}"
TOKEN_URL = "https://sipas.example.vn/f/Zx8_kq2Lm9QpR4tVw7Yb3Nc6Hd1Jf5Gs0Ka2Xe8Uo-Tr3Wq"
BEN_THANH = Card(
    unit_code="BT01",
    unit_name="Trung tâm Phục vụ hành chính công phường Bến Thành",
    counter_code="Q3",
    counter_name="Quầy số 3",
    url=TOKEN_URL,
)
LONGEST = Card(  # every text element at its line limit: QR must still fit and scan
    unit_code="PD",
    unit_name="Bộ phận Tiếp nhận và Trả kết quả giải quyết thủ tục hành chính Ủy ban nhân dân "
    "xã Phong Điền, huyện Phong Điền, thành phố Cần Thơ " * 3,
    counter_code="Q12",
    counter_name="Quầy số 12 – Đất đai, xây dựng, tài nguyên và môi trường",
    url="https://sipas.example.vn/f/" + "Ab9_Kx2-" * 22,
)
HOSTILE = Card(
    unit_code="X",
    unit_name="<script>alert(\"x\")</script> & Co 'quoted' $a$ \x00\x07",
    counter_code="Y",
    counter_name='Quầy "A" & <b>',
    url="https://sipas.example.vn/f/abc?x=1&y=<2>",
)


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed: apt-get install {package}")
    return path


def run(*args: str | Path) -> str:
    return subprocess.run(
        [str(a) for a in args], check=True, capture_output=True, text=True, timeout=120
    ).stdout


def decode_png(png: Path) -> str:
    need("zbarimg", "zbar-tools")
    return run("zbarimg", "--raw", "-q", png).strip()


def pdf_file(card: Card, tmp_path: Path) -> Path:
    path = tmp_path / "card.pdf"
    path.write_bytes(render_pdf(card))
    return path


def pdf_text(card: Card, tmp_path: Path) -> str:
    need("pdftotext", "poppler-utils")
    text = run("pdftotext", "-enc", "UTF-8", pdf_file(card, tmp_path), "-")
    return " ".join(text.split())


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8"))
    return [el.text or "" for el in root.iter(f"{SVG_NS}text")]


@pytest.mark.parametrize("card", [BEN_THANH, LONGEST, HOSTILE], ids=["token", "longest", "hostile"])
def test_pdf_qr_decodes_to_exact_url(card: Card, tmp_path: Path) -> None:
    need("pdftoppm", "poppler-utils")
    run("pdftoppm", "-r", "200", "-png", "-singlefile", pdf_file(card, tmp_path), tmp_path / "p")
    assert decode_png(tmp_path / "p.png") == card.url


def test_pdf_is_one_a6_page_with_embedded_font(tmp_path: Path) -> None:
    need("pdfinfo", "poppler-utils")
    info = run("pdfinfo", pdf_file(BEN_THANH, tmp_path))
    assert re.search(r"^Pages:\s+1$", info, re.M)
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert size is not None
    assert float(size[1]) == pytest.approx(297.64, abs=0.1)
    assert float(size[2]) == pytest.approx(419.53, abs=0.1)
    fonts = run(need("pdffonts", "poppler-utils"), tmp_path / "card.pdf").splitlines()[2:]
    assert fonts and all("DejaVuSans" in f and " yes yes yes " in f for f in fonts), fonts


def test_pdf_text_keeps_vietnamese_diacritics(tmp_path: Path) -> None:
    text = pdf_text(BEN_THANH, tmp_path)
    for expected in (
        "Đánh giá sự hài lòng",
        "Trung tâm Phục vụ hành chính công phường Bến Thành",
        "Quầy số 3",
        "Quét mã QR bằng điện thoại để đánh giá",
        "không hỏi tên",
        TOKEN_URL,
    ):
        assert expected in text


def test_decomposed_input_is_normalised(tmp_path: Path) -> None:
    nfd = Card("a", unicodedata.normalize("NFD", "Phường Bến Thành"), "b", "Quầy số 3", TOKEN_URL)
    assert "Phường Bến Thành" in pdf_text(nfd, tmp_path)
    assert "Phường Bến Thành" in svg_texts(render_svg(nfd))


def test_long_names_are_truncated_not_overflowing(tmp_path: Path) -> None:
    text = pdf_text(LONGEST, tmp_path)
    assert "Bộ phận Tiếp nhận và Trả kết quả" in text and "…" in text
    assert "Quầy số 12 – Đất đai" in text
    lines = svg_texts(render_svg(LONGEST))
    assert sum("…" in line for line in lines) == 1  # unit name cut, counter fits on 2 lines


def test_pdf_and_svg_are_deterministic() -> None:
    assert render_pdf(BEN_THANH) == render_pdf(BEN_THANH)
    assert render_svg(BEN_THANH) == render_svg(BEN_THANH)


def test_svg_document_structure() -> None:
    svg = render_svg(BEN_THANH)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG_NS}svg"
    assert (root.get("width"), root.get("height")) == ("105mm", "148mm")
    assert root.get("viewBox") == "0 0 105 148"
    texts = svg_texts(svg)
    assert texts[0] == "Đánh giá sự hài lòng"
    assert " ".join(texts[1:3]) == BEN_THANH.unit_name  # wrapped over two lines
    assert "Quầy số 3" in texts and TOKEN_URL in texts
    group = root.find(f"{SVG_NS}g")
    assert group is not None and "DejaVu Sans" in (group.get("font-family") or "")
    qr = root.find(f"{SVG_NS}path[@id='qr']")
    assert qr is not None and qr.get("fill") == "#000"
    assert len(re.findall(r"M\d+,\d+h\d+v1h-\d+z", qr.get("d") or "")) > 100
    scale = re.search(r"scale\(([\d.]+)\)", qr.get("transform") or "")
    assert scale is not None
    runs = re.findall(r"M(\d+),\d+h(\d+)", qr.get("d") or "")
    modules = max(int(x) + int(w) for x, w in runs) + 4  # left quiet zone is in x already
    assert modules * float(scale[1]) >= 60  # mm, quiet zone included
    colours = set(re.findall(r'(?:fill|stroke)="([^"]+)"', svg))
    assert colours <= {"#000", "#fff", "none"}  # prints in black and white


def test_svg_escapes_hostile_names() -> None:
    svg = render_svg(HOSTILE)
    root = ET.fromstring(svg.encode("utf-8"))  # still well-formed XML
    assert not any(el.tag.endswith(("script", "b")) for el in root.iter())
    assert "<script" not in svg and "&lt;script&gt;" in svg and "&amp; Co" in svg
    texts = svg_texts(svg)
    assert "<script>alert(\"x\")</script> & Co 'quoted' $a$" in " ".join(texts)  # wrapped
    assert 'Quầy "A" & <b>' in texts and HOSTILE.url in texts
    assert "\x00" not in svg and "\x07" not in svg


def test_svg_qr_decodes_when_a_rasteriser_exists(tmp_path: Path) -> None:
    svg = tmp_path / "card.svg"
    svg.write_text(render_svg(BEN_THANH), encoding="utf-8")
    png = tmp_path / "svg.png"
    if shutil.which("rsvg-convert"):
        run("rsvg-convert", "--dpi-x", "200", "--dpi-y", "200", "-o", png, svg)
    elif chromium := shutil.which("chromium") or shutil.which("chromium-browser"):
        run(chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=800,1200",
            "--force-device-scale-factor=2", f"--screenshot={png}", svg.as_uri())  # fmt: skip
    else:
        pytest.skip("no SVG rasteriser: apt-get install librsvg2-bin")
    assert decode_png(png) == TOKEN_URL


def test_empty_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="URL"):
        render_svg(Card("a", "b", "c", "d", "  "))


def test_write_cards_writes_sanitised_svg_and_pdf(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "cards"
    cards = [
        BEN_THANH,
        Card("Đông/Hà 02", "Ủy ban nhân dân xã Đông Hà", "../Quầy 1", "Quầy số 1", TOKEN_URL),
    ]
    paths = write_cards(cards, out)
    assert paths == sorted(paths)
    assert [p.name for p in paths] == [
        "BT01_Q3.pdf",
        "BT01_Q3.svg",
        "Dong_Ha_02_Quay_1.pdf",
        "Dong_Ha_02_Quay_1.svg",
    ]
    for path in paths:
        assert path.parent == out and re.fullmatch(r"[A-Za-z0-9._-]+", path.name)
        assert path.stat().st_size > 1000
    assert paths[0].read_bytes().startswith(b"%PDF-")
    assert ET.parse(paths[1]).getroot().tag == f"{SVG_NS}svg"


def test_write_cards_refuses_colliding_file_names(tmp_path: Path) -> None:
    twins = [Card("BT 01", "x", "Q3", "y", TOKEN_URL), Card("BT/01", "x", "Q3", "y", TOKEN_URL)]
    with pytest.raises(ValueError, match="same file name"):
        write_cards(twins, tmp_path)
