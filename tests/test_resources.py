"""Checks of the versioned resource files: education dictionary, stopwords, gazetteer, genres."""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter

import jieba
import opencc
import pytest

from compare.core.config import RAW_DATA_DIR, resource_path

NOTE_TERMS = [
    "立德树人",
    "双减",
    "产教融合",
    "优质均衡",
    "集团化办学",
    "县管校聘",
    "普惠性",
    "五育并举",
    "高品质示范高中",
    "教共体",
    "职普融通",
    "产教联合体",
    "普及普惠",
    "双师型",
    "名师工作室",
]


def _entries(name: str) -> list[str]:
    lines = resource_path(name).read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


@pytest.fixture(scope="module")
def terms() -> list[str]:
    return [ln.split()[0] for ln in _entries("userdict_education.txt")]


@pytest.fixture(scope="module")
def tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.load_userdict(str(resource_path("userdict_education.txt")))
    return tok


@pytest.fixture(scope="module")
def seed_texts() -> dict[str, str]:
    cc = opencc.OpenCC("t2s")
    return {p.name: cc.convert(p.read_text(encoding="utf-8")) for p in sorted(RAW_DATA_DIR.glob("*.txt"))}


def test_userdict_format_size_and_uniqueness(terms):
    lines = _entries("userdict_education.txt")
    assert resource_path("userdict_education.txt").read_text(encoding="utf-8").startswith("# ")
    assert all(re.fullmatch(r"\S+ \d+ [a-z]+", ln) for ln in lines)
    assert len(terms) >= 300
    assert [t for t, n in Counter(terms).items() if n > 1] == []


def test_userdict_is_simplified(terms):
    cc = opencc.OpenCC("t2s")
    assert [t for t in terms if cc.convert(t) != t] == []


def test_userdict_terms_not_already_in_jieba(terms):
    base = jieba.Tokenizer()
    base.initialize()
    assert [t for t in terms if base.FREQ.get(t, 0) > 0] == []


def test_every_term_is_one_token(terms, tokenizer):
    assert [t for t in terms if list(tokenizer.cut(t)) != [t]] == []


def test_note_terms_are_in_dictionary_or_kept_whole(terms, tokenizer):
    for term in NOTE_TERMS:
        assert term in terms or list(tokenizer.cut(term)) == [term]


def test_terms_survive_in_seed_context(terms, tokenizer, seed_texts):
    """Every occurrence of a term in the seeds is one token, unless an overlapping dictionary term won."""
    known = set(terms)
    lost = []
    for name, text in seed_texts.items():
        spans, pos = [], 0
        for tok in tokenizer.cut(text):
            spans.append((pos, pos + len(tok), tok))
            pos += len(tok)
        for term in terms:
            for m in re.finditer(re.escape(term), text):
                cover = [s for s in spans if s[0] < m.end() and s[1] > m.start()]
                overlapped = any(s[2] in known and (s[0] < m.start() or s[1] > m.end()) for s in cover)
                if len(cover) > 1 and not overlapped:
                    lost.append((name, term, "/".join(s[2] for s in cover)))
    assert lost == []
    assert sum(text.count(t) for text in seed_texts.values() for t in NOTE_TERMS) > 50


def test_stopwords_unique_and_deliberate():
    words = _entries("stopwords.txt")
    assert [w for w, n in Counter(words).items() if n > 1] == []
    assert {"的", "和", "与", "等", "进一步"} <= set(words)
    # content verbs that carry instruments / commitment strength stay out
    assert not {"建立", "支持", "鼓励", "引导", "探索", "确保", "严格", "力争", "打造"} & set(words)


@pytest.fixture(scope="module")
def gazetteer() -> list[dict]:
    with resource_path("gazetteer.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_gazetteer_counts_and_uniqueness(gazetteer):
    assert set(gazetteer[0]) >= {"name", "short", "level", "province", "alias"}
    provinces = [r for r in gazetteer if r["level"] == "province"]
    prefectures = [r for r in gazetteer if r["level"] == "prefecture"]
    assert len(provinces) == 34
    assert len(prefectures) >= 330
    assert len({r["name"] for r in provinces}) == 34
    assert len({r["name"] for r in prefectures}) == len(prefectures)
    assert len({r["short"] for r in prefectures}) == len(prefectures)
    assert {r["level"] for r in gazetteer} == {"province", "prefecture"}


def test_gazetteer_provinces_exist_and_names_consistent(gazetteer):
    province_short = {r["short"] for r in gazetteer if r["level"] == "province"}
    for r in gazetteer:
        assert r["province"] in province_short, r
        assert r["name"].startswith(r["short"].removesuffix("州")) or r["short"] in r["name"], r
        assert all(len(a) == 1 for a in filter(None, r["alias"].split("|"))), r


def test_gazetteer_keeps_taizhou_apart(gazetteer):
    by_name = {r["name"]: r for r in gazetteer if r["level"] == "prefecture"}
    assert by_name["泰州市"]["province"] == "江苏"
    assert by_name["台州市"]["province"] == "浙江"
    assert by_name["宁波市"]["alias"] == "甬"
    municipalities = [r for r in gazetteer if r["short"] in {"北京", "天津", "上海", "重庆"}]
    assert len(municipalities) == 8


def test_genres_resource_compiles():
    with resource_path("genres.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len({r["genre"] for r in rows}) == len(rows)
    for r in rows:
        re.compile(r["pattern"])
