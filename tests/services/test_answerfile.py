"""The columnar reader of the METHOD §7 response file agrees with the row-by-row reader."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

import forms
from survey_app.services import demo
from survey_app.services.exchange import csvfile as exchange
from survey_app.services.exchange.answerfile import AnswerTable, read_answer_table

HEADER = ",".join(exchange.columns())
ITEMS = forms.all_item_codes()
EPOCH = date(1970, 1, 1).toordinal()


def _file(
    tmp_path: Path, *rows: str, bom: bool = True, header: str = HEADER, end: str = "\n"
) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes((("\ufeff" if bom else "") + end.join([header, *rows]) + end).encode("utf-8"))
    return path


def _row(columns: tuple[str, ...] = exchange.columns(), **cells: str) -> str:
    base = {c: "" for c in columns}
    base.update(
        response_id="1",
        submitted_at="2026-03-01T08:30:00Z",
        unit_code="U1",
        target_group="chung",
        questionnaire="sipas-2024-dv",
        source="paper",
    )
    base.update(cells)
    return ",".join(base[c] for c in columns)


def _problems(path: Path, **kwargs: int) -> set[tuple[int, str]]:
    with pytest.raises(exchange.ResponseFileError) as caught:
        read_answer_table(path, **kwargs)
    return {(p.line, p.column) for p in caught.value.problems}


def assert_same_as_exchange(table: AnswerTable, path: Path, *, same_lines: bool = True) -> None:
    rows = exchange.read_response_file(path)
    assert table.n == len(rows) == len(table.lines) == len(table.local_day)
    assert table.answers.shape == (len(rows), len(ITEMS)) and table.answers.dtype == np.int8
    for i, row in enumerate(rows):
        if same_lines:
            assert table.lines[i] == row.line
        assert table.local_day[i] == row.local_day.toordinal() - EPOCH
        assert table.response_id.text(i) == row.response_id
        assert table.unit.text(i) == row.unit_code
        assert table.counter.text(i) == row.counter_code
        assert table.procedure.text(i) == row.procedure_code
        assert table.target_group.text(i) == row.target_group
        assert table.channel.text(i) == row.channel
        assert table.questionnaire.text(i) == row.questionnaire
        assert table.source.text(i) == row.source
        got = {code: int(v) for code, v in zip(ITEMS, table.answers[i], strict=True) if v}
        assert got == row.answers


# --- the same content as the row-by-row reader ----------------------------------------------------


def test_export_file_reads_the_same_as_exchange(app: Flask, tmp_path: Path) -> None:
    demo.create_organisation()
    demo.generate_responses(300, seed=5)
    out = tmp_path / "all.csv"
    assert exchange.export_file(out) == 300
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    table = read_answer_table(out)
    assert_same_as_exchange(table, out)
    assert table.n == 300 and "" not in table.unit.values


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_hand_written_file(tmp_path: Path, bom: bool, end: str) -> None:
    path = _file(
        tmp_path,
        _row(
            A1="5",
            B2="4",
            X10="3",
            channel="truc_tiep",
            counter_code="Q1",
            procedure_code="1.004227",
            comment="Cán bộ nhiệt tình",
        ),
        _row(
            response_id="2",
            questionnaire="sipas-2024-nhanh",
            A0="1",
            E0="5",
            Q6="2",
            target_group="dat_dai_xay_dung_dau_tu",
            unit_code="Xã Đồng Tâm",
            submitted_at="2026-03-01T06:30:00",
        ),  # no offset: Vietnam local time
        _row(response_id="3", C1="4", submitted_at="2026-02-28T23:30:00+00:00"),
        _row(response_id="4", D3="2", submitted_at="2026-03-01T03:10:00+09:00"),
        _row(response_id="5", E3="1", submitted_at="2026-03-01 08:30", source="Hệ thống Một cửa"),
        _row(response_id="6", Q5="3", submitted_at="2026-12-31"),
        _row(response_id="7", A2="3", submitted_at="2026-03-01T08:30:00.250+07:00"),  # slow path
        bom=bom,
        end=end,
    )
    table = read_answer_table(path)
    assert_same_as_exchange(table, path)
    assert list(table.lines) == [2, 3, 4, 5, 6, 7, 8]
    days = [date.fromordinal(int(d) + EPOCH) for d in table.local_day]
    assert days == [date(2026, 3, 1)] * 5 + [date(2026, 12, 31), date(2026, 3, 1)]
    assert table.unit.text(1) == "Xã Đồng Tâm" and table.source.text(4) == "Hệ thống Một cửa"
    assert table.answers[1, ITEMS.index("A0")] == 1


def test_comment_with_comma_quotes_and_newline_keeps_lines(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        _row(A1="5", comment='"Rất tốt, cảm ơn ""chị Lan""\nvà mọi người"'),
        _row(response_id="2", A1="4", comment='"một, hai"'),
        _row(response_id="3", A1="9"),  # bad, on physical line 5
    )
    assert _problems(path) == {(5, "A1")}
    fixed = path.read_text(encoding="utf-8-sig").replace("A1", "A1").replace(",9,", ",3,")
    path.write_text(fixed, encoding="utf-8-sig")
    table = read_answer_table(path)
    assert list(table.lines) == [2, 4, 5]  # the comment's line break moves later rows down
    # exchange numbers records rather than lines; everything else is the same
    assert_same_as_exchange(table, path, same_lines=False)


def test_some_item_columns_only(tmp_path: Path) -> None:
    columns = (*exchange.META_COLUMNS, "C1", "A1", "comment")
    path = _file(
        tmp_path,
        _row(columns, A1="5", C1="2"),
        _row(columns, response_id="2", A1="1"),
        header=",".join(columns),
    )
    table = read_answer_table(path)
    assert_same_as_exchange(table, path)
    assert table.answers[:, ITEMS.index("B1")].tolist() == [0, 0]
    assert table.answers[:, ITEMS.index("C1")].tolist() == [2, 0]


def test_comment_column_is_optional_and_cells_are_stripped(tmp_path: Path) -> None:
    columns = exchange.META_COLUMNS + ("A1",)
    path = _file(
        tmp_path,
        _row(columns, A1=" 4 ", unit_code=" U1 ", channel=" buu_chinh"),
        _row(columns, response_id="2", A1="04", unit_code="U1"),
        header=",".join(columns),
    )
    table = read_answer_table(path)
    assert_same_as_exchange(table, path)
    assert table.unit.values == ("U1",) and list(table.unit.codes) == [0, 0]


def test_blank_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        _row(A1="5"),
        "",
        ",,,,",
        _row(response_id="2", A1="4"),
        "   ",
        _row(response_id="3", A1="7"),
    )
    assert _problems(path) == {(7, "A1")}
    assert _problems(path) == {(p.line, p.column) for p in _exchange_problems(path)}
    path.write_text(
        path.read_text(encoding="utf-8-sig").replace(",7,", ",3,"), encoding="utf-8-sig"
    )
    table = read_answer_table(path)
    assert list(table.lines) == [2, 5, 7]
    assert_same_as_exchange(table, path)


def test_header_only_and_empty_file(tmp_path: Path) -> None:
    table = read_answer_table(_file(tmp_path))
    assert table.n == 0 and table.answers.shape == (0, len(ITEMS))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert _problems(empty) == {(1, "")}


# --- every rule: the right (line, column), as exchange reports them -------------------------------


def _exchange_problems(path: Path) -> list[exchange.FileProblem]:
    with pytest.raises(exchange.ResponseFileError) as caught:
        exchange.read_response_file(path)
    return caught.value.problems


def test_every_bad_cell_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        _row(A1="5"),
        _row(A1="6"),  # line 3: out of range
        _row(submitted_at="hôm qua", B1="4"),  # line 4: bad time
        _row(A0="4"),  # line 5: item of another version
        _row(target_group="dat", C1="4"),  # line 6: unknown code
        _row(),
    )  # line 7: no answers
    with pytest.raises(exchange.ResponseFileError) as caught:
        read_answer_table(path)
    where = {(p.line, p.column) for p in caught.value.problems}
    assert where == {(3, "A1"), (4, "submitted_at"), (5, "A0"), (6, "target_group"), (7, "")}
    assert "dòng 3, cột A1" in str(caught.value)
    assert caught.value.problems == _exchange_problems(path)  # same messages, same order


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"A1": "0"}, "A1"),
        ({"A1": "x"}, "A1"),
        ({"A1": "+4"}, "A1"),
        ({"A1": "-1"}, "A1"),
        ({"A1": "0x4"}, "A1"),
        ({"A1": "4.0"}, "A1"),
        ({"A1": "300"}, "A1"),
        ({"Q5": "4"}, "Q5"),
        ({"X5": "5"}, "X5"),
        ({"A1": "5", "A0": "3"}, "A0"),
        ({"A1": "5", "unit_code": ""}, "unit_code"),
        ({"A1": "5", "unit_code": "  "}, "unit_code"),
        ({"A1": "5", "channel": "dien_thoai"}, "channel"),
        ({"A1": "5", "target_group": ""}, "target_group"),
        ({"A1": "5", "questionnaire": "sipas-2023"}, "questionnaire"),
        ({"A1": "5", "submitted_at": ""}, "submitted_at"),
        ({"A1": "5", "submitted_at": "2026-02-30T08:00:00Z"}, "submitted_at"),
        ({"A1": "5", "submitted_at": "2026-03-01T24:00:00Z"}, "submitted_at"),
        ({"A1": "5", "submitted_at": "01/03/2026"}, "submitted_at"),
        ({"A1": "", "D1": ""}, ""),
    ],
)
def test_each_rule(tmp_path: Path, cells: dict[str, str], column: str) -> None:
    path = _file(tmp_path, _row(A1="5"), _row(response_id="2", **cells), _row(C2="4"))
    assert _problems(path) == {(3, column)}
    with pytest.raises(exchange.ResponseFileError) as caught:
        read_answer_table(path)
    assert caught.value.problems == _exchange_problems(path)


def test_unknown_questionnaire_reports_only_non_digits(tmp_path: Path) -> None:
    path = _file(tmp_path, _row(questionnaire="v9", A1="7", A0="x"))
    assert _problems(path) == {(2, "questionnaire"), (2, "A0")}
    with pytest.raises(exchange.ResponseFileError) as caught:
        read_answer_table(path)
    assert caught.value.problems == _exchange_problems(path)


def test_wrong_number_of_cells(tmp_path: Path) -> None:
    path = _file(
        tmp_path, _row(A1="5"), _row(A1="5") + ",extra", _row(A1="9"), "1,2026-03-01T08:30:00Z,U1"
    )
    with pytest.raises(exchange.ResponseFileError) as caught:
        read_answer_table(path)
    assert caught.value.problems == _exchange_problems(path)
    assert {(p.line, p.column) for p in caught.value.problems} == {(3, ""), (4, "A1"), (5, "")}
    assert f"cần {len(exchange.columns())}" in str(caught.value)


def test_header_problems_are_on_line_1(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("response_id,A1,Z9\n1,5\n", encoding="utf-8")
    problems = _problems(path)
    assert all(line == 1 for line, _ in problems)
    assert {"submitted_at", "unit_code", "Z9"} <= {column for _, column in problems}


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(
        HEADER.encode() + b"\n" + _row(A1="5", comment="\xff").encode("latin-1") + b"\n"
    )
    with pytest.raises(exchange.ResponseFileError, match="UTF-8") as caught:
        read_answer_table(path)
    assert caught.value.problems == _exchange_problems(path)


def test_many_bad_rows_stop_at_max_problems(tmp_path: Path) -> None:
    rows = [
        _row(response_id=str(k), A1="7" if k % 2 else "5", unit_code="" if k % 3 else "U1")
        for k in range(5000)
    ]
    path = _file(tmp_path, *rows)
    started = time.perf_counter()
    with pytest.raises(exchange.ResponseFileError) as caught:
        read_answer_table(path, max_problems=200)
    assert time.perf_counter() - started < 3
    problems = caught.value.problems
    assert len(problems) == 200
    assert problems == _exchange_problems(path)[:200]
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_small_chunks_and_blocks_give_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Byte-scan chunks that split UTF-8 characters, and many pyarrow blocks (threads)."""
    rows = [
        _row(
            response_id=str(k),
            A1=str(1 + k % 5),
            unit_code=f"Đơn vị {k % 7}",
            comment='"dòng một\ndòng hai, ""ba"""' if k % 9 == 0 else "ý kiến",
        )
        for k in range(600)
    ]
    path = _file(tmp_path, *rows, end="\r\n")
    expected = read_answer_table(path)
    from survey_app.services.exchange import answerfile

    monkeypatch.setattr(answerfile, "_CHUNK", 7)
    monkeypatch.setattr(answerfile, "_BLOCK", 4096)
    table = read_answer_table(path)
    assert np.array_equal(table.lines, expected.lines)
    assert np.array_equal(table.answers, expected.answers)
    assert [table.unit.text(i) for i in range(table.n)] == [
        expected.unit.text(i) for i in range(table.n)
    ]
    assert table.lines[-1] == 2 + 599 + 67  # one more line for each of the 67 long comments
    assert_same_as_exchange(table, path, same_lines=False)
    # bad rows among many blocks: right lines, in order
    bad = list(rows)
    bad[100] = _row(response_id="100", A1="8")
    bad[450] = bad[450] + ",thừa"
    path = _file(tmp_path, *bad, end="\r\n")
    problems = _problems(path)
    assert problems == {(int(expected.lines[100]), "A1"), (int(expected.lines[450]), "")}
    path.write_bytes(path.read_bytes().replace("ý kiến".encode(), b"\xff", 1))
    with pytest.raises(exchange.ResponseFileError, match="UTF-8"):
        read_answer_table(path)
