"""Issue 15, documents: empty, binary, truncated, encrypted, scanned and corrupt files, hostile HTML and types
the tool cannot read. With ``keep_going`` the good documents build and each bad one gets exactly one
one-line error naming the file and the problem; without it the build stops with those messages and the
previous outputs stay as they were."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import docx
import pandas as pd
import pytest
from reportlab.pdfgen import canvas

from compare.core.store import read_as_built
from compare.pipeline.build import BuildError, build

PHRASE = "普惠性幼儿园覆盖率达到95%以上"
GOOD_TEXT = f"某市教育高质量发展行动方案（2023—2025年）\n一、总体要求\n到2025年，{PHRASE}。\n"
CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SCRIPT_MARKERS = (
    "SCRIPT_TEXT",
    "IFRAME_TEXT",
    "STYLE_TEXT",
    "NOSCRIPT_TEXT",
    "JS_LINK",
    "javascript",
    "alert",
)


def _docx_bytes(*lines: str) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _pdf_without_text() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(100, 100, 200, 200, fill=1)  # a drawing, no text
    c.showPage()
    c.save()
    return buf.getvalue()


def _hostile_html() -> bytes:
    deep = "<div>" * 200 + f"<p>二、主要任务</p><p>到2025年，{PHRASE}。</p>" + "</div>" * 200
    return (
        "<html><head><meta charset='utf-8'><style>p{} /* STYLE_TEXT */</style>"
        "<script>var SCRIPT_TEXT = 1; document.write('SCRIPT_TEXT')</script></head><body>"
        "<h1>某市2024年教育工作要点</h1>"
        "<iframe src='https://example.com'>IFRAME_TEXT</iframe><noscript>NOSCRIPT_TEXT</noscript>"
        "<p>一、总体要求 <a href=\"javascript:alert('JS_LINK')\" onclick=\"alert('JS_LINK')\">详见附件</a></p>"
        f"{deep}<script type='text/javascript'>alert('SCRIPT_TEXT')</script></body></html>"
    ).encode()


def _bad_files() -> dict[str, tuple[bytes, str]]:
    """file name -> (bytes, phrase the error message must contain)."""
    rng = random.Random(15)
    full_docx = _docx_bytes("某市教育事业发展规划", GOOD_TEXT)
    pdf = _pdf_without_text()
    encrypted = CFB + bytes(504) + "EncryptedPackage".encode("utf-16-le") + rng.randbytes(4000)
    return {
        "empty.txt": (b"", "empty (0 bytes)"),
        "random.docx": (rng.randbytes(8000), "not a valid .docx"),
        "truncated.docx": (full_docx[: len(full_docx) // 2], "truncated or damaged"),
        "encrypted.docx": (encrypted, "password-protected"),
        "ole.docx": (CFB + rng.randbytes(4000), "OLE container"),
        "scan.pdf": (pdf, "no text layer"),
        "corrupt.pdf": (pdf[: len(pdf) // 3] + rng.randbytes(300), "not a readable PDF"),
        "table.xlsx": (full_docx, "unsupported file type: '.xlsx'"),
        "old.doc": (CFB + bytes(1000), "unsupported file type: '.doc'"),
    }


def _good_folder(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "plan_a.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (raw / "plan_b.docx").write_bytes(_docx_bytes(*GOOD_TEXT.splitlines()))
    (raw / "hostile.html").write_bytes(_hostile_html())
    return raw


def _snapshot(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def test_keep_going_builds_the_good_and_names_each_bad_file_once(tmp_path):
    raw = _good_folder(tmp_path)
    bad = _bad_files()
    for name, (data, _) in bad.items():
        (raw / name).write_bytes(data)
    before = {p.name: p.read_bytes() for p in raw.iterdir()}
    out = tmp_path / "out"
    result = build(raw, out, keep_going=True, use_cache=False)

    assert result.n_documents == 3
    assert set(result.tables["documents"]["file"]) == {"plan_a.txt", "plan_b.docx", "hostile.html"}
    errors = result.errors
    assert sorted(Path(f).name for f in errors["file"]) == sorted(bad)  # one error per bad file
    for row in errors.itertuples():
        name = Path(row.file).name
        assert name in row.message and bad[name][1] in row.message, row.message
        assert "\n" not in row.message and row.stage == "read"
    on_disk = pd.read_csv(out / "errors.csv", encoding="utf-8-sig")
    assert sorted(Path(f).name for f in on_disk["file"]) == sorted(bad)
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == before  # raw files never written


def test_without_keep_going_the_build_stops_and_the_previous_outputs_stay(tmp_path):
    raw = _good_folder(tmp_path)
    out = tmp_path / "out"
    first = build(raw, out)
    assert first.errors.empty and first.n_documents == 3
    before = _snapshot(out)
    bad = _bad_files()
    for name, (data, _) in bad.items():
        (raw / name).write_bytes(data)
    with pytest.raises(BuildError) as info:
        build(raw, out)
    message = str(info.value)
    lines = message.splitlines()
    assert "nothing was written" in lines[0]
    for name, (_, problem) in bad.items():
        [line] = [x for x in lines[1:] if f"/{name} [" in x]  # exactly one line per bad file
        assert problem in line, line
    assert _snapshot(out) == before
    pd.testing.assert_frame_equal(
        read_as_built(out / "documents.parquet", "documents"), first.tables["documents"]
    )


def test_script_iframe_and_javascript_never_reach_the_text(tmp_path):
    raw = _good_folder(tmp_path)
    result = build(raw, tmp_path / "out", use_cache=False)
    doc = result.tables["documents"].set_index("file").loc["hostile.html"]
    assert PHRASE in doc["text"]  # 200 levels deep, still read
    assert "一、总体要求 详见附件" in doc["text"]  # the link's text stays, its href does not
    for name in ("documents", "passages", "sentences", "tokens"):
        df = result.tables[name]
        column = "token" if name == "tokens" else "text"
        joined = "\n".join(df[column].astype(str))
        for marker in SCRIPT_MARKERS:
            assert marker not in joined, (name, marker)
