"""Issue 15, encodings: every common Chinese encoding, odd line endings, stray NUL bytes, invisible and
private-use characters, a 50 MB file, a 2-million-character line and an unusual file name are read
correctly, and a known phrase survives into the built tables."""

from __future__ import annotations

import codecs
import hashlib
import resource

import pytest

from compare.pipeline.build import build
from compare.text.clean import clean_text
from compare.text.readers import read_document
from compare.text.segment import split_passages, split_sentences

PHRASE = "普惠性幼儿园覆盖率达到95%以上"
TEXT = f"某市教育高质量发展行动方案（2023—2025年）\n一、总体要求\n到2025年，{PHRASE}。\n二、主要任务\n新建学校10所。\n"
TRADITIONAL = "常州市深入推進教育現代化行動方案（2023—2025年）\n一、總體要求\n到2025年，普惠性幼兒園覆蓋率達到95%以上。\n"

ENCODED = {
    "utf8.txt": TEXT.encode("utf-8"),
    "utf8_bom.txt": codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    "gb18030.txt": TEXT.encode("gb18030"),
    "gbk.txt": TEXT.encode("gbk"),
    "utf16_le.txt": codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    "utf16_be.txt": codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    "mixed_eol.txt": TEXT.replace("\n", "\r\n", 2).replace("\n", "\r", 2).encode("utf-8"),
    "nul_bytes.txt": TEXT.replace("一、", "一、\x00", 1).replace("新建", "\x00新建", 1).encode("utf-8"),
    "invisible.txt": TEXT.replace("普惠性", "普\u200b惠\ufeff性", 1)
    .replace("二、", "二、\ue000", 1)
    .encode(),
    "泰州 教育 方案 2023.txt": TEXT.encode("utf-8"),
}


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_each_encoding_reads_and_cleans_to_the_phrase(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(ENCODED[name])
    raw = read_document(path)
    cleaned = clean_text(raw.text)
    assert "\r" not in raw.text
    assert PHRASE in cleaned.text, (name, raw.encoding, cleaned.text[:200])
    assert not any(c in cleaned.text for c in "\x00\u200b\ufeff")
    assert cleaned.text.splitlines()[:3] == [
        "某市教育高质量发展行动方案（2023—2025年）",
        "一、总体要求",
        f"到2025年，{PHRASE}。",
    ]


def test_encodings_detected_by_name(tmp_path):
    expected = {"gb18030.txt": "gb18030", "gbk.txt": "gb18030", "utf8_bom.txt": "utf-8-sig"}
    for name, encoding in expected.items():
        (tmp_path / name).write_bytes(ENCODED[name])
        assert read_document(tmp_path / name).encoding == encoding


def test_big5_is_detected_and_converted_to_simplified(tmp_path):
    path = tmp_path / "big5.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    raw = read_document(path)
    assert raw.encoding in ("big5", "cp950", "big5hkscs")
    cleaned = clean_text(raw.text)
    assert "常州市深入推进教育现代化行动方案" in cleaned.text
    assert PHRASE in cleaned.text
    assert "推進" in cleaned.text_original  # the original script is kept alongside


def test_nul_and_invisible_characters_are_logged_repairs(tmp_path):
    text = (tmp_path / "x.txt", ENCODED["nul_bytes.txt"] + ENCODED["invisible.txt"])
    text[0].write_bytes(text[1])
    cleaned = clean_text(read_document(text[0]).text)
    repairs = cleaned.repairs_frame(doc_id="x", source_sha256="0" * 64)
    removed = repairs.loc[repairs["action"] == "removed"]
    assert {"control_character", "zero_width"} <= set(removed["rule"])
    assert set(removed.loc[removed["rule"] == "control_character", "before"]) == {"U+0000"}
    assert "\ue000" in cleaned.text  # a private-use character is text we cannot judge: it is kept


def test_a_folder_of_every_encoding_builds(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, data in ENCODED.items():
        (raw / name).write_bytes(data)
    (raw / "big5.txt").write_bytes(TRADITIONAL.encode("big5"))
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    result = build(raw, tmp_path / "out", use_cache=False)
    assert result.errors.empty and result.n_documents == len(ENCODED) + 1
    docs = result.tables["documents"].set_index("file")
    for name in ENCODED:
        assert PHRASE in docs.loc[name, "text"], name
    assert docs.loc["big5.txt", "script"] == "traditional"
    assert "常州市深入推进" in docs.loc["big5.txt", "text"]
    sentences = result.tables["sentences"]
    named = docs.loc["泰州 教育 方案 2023.txt", "doc_id"]
    assert sentences.loc[sentences["doc_id"] == named, "text"].str.contains(PHRASE).any()
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.iterdir()} == before


def test_a_50_mb_text_file_reads_and_cleans(tmp_path):
    """50 MB of GB18030 (read + clean only: a whole build would tokenise 19 M characters, minutes of jieba)."""
    block = (TEXT * 8).encode("gb18030")
    path = tmp_path / "big.txt"
    with path.open("wb") as fh:
        for _ in range(50_000_000 // len(block) + 1):
            fh.write(block)
    assert path.stat().st_size >= 50_000_000
    raw = read_document(path)
    assert raw.encoding == "gb18030" and raw.n_bytes == path.stat().st_size
    cleaned = clean_text(raw.text)
    n_copies = raw.text.count(PHRASE)
    assert n_copies > 300_000 and cleaned.text.count(PHRASE) == n_copies
    assert cleaned.text.endswith("新建学校10所。")
    # memory stays a small multiple of the file (measured: about 600 MB peak for the whole process)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < 3000, peak_mb


def test_a_2_million_character_line(tmp_path):
    unit = f"到2025年{PHRASE}，新建学校10所。"
    line = (unit * (2_000_000 // len(unit) + 1))[:2_000_000]
    path = tmp_path / "one_line.txt"
    path.write_text(line, encoding="utf-8")
    raw = read_document(path)
    assert len(raw.text) == 2_000_000 and "\n" not in raw.text
    cleaned = clean_text(raw.text)
    passages = split_passages(cleaned.text, doc_id="one_line", text_original=cleaned.text_original)
    sentences = split_sentences(passages)
    assert len(sentences) >= 2_000_000 // len(unit) - 1
    for row in sentences.sample(200, random_state=0).itertuples():
        assert cleaned.text[row.start : row.end] == row.text
    assert sentences["text"].str.contains(PHRASE).sum() >= len(sentences) - 1
