"""Tokeniser: dictionary terms survive in context, numbers stay whole, backends agree."""

from __future__ import annotations

import importlib
import re

import pytest

from compare.text.segment import split_passages, split_sentences
from compare.text.tokenize import cut, default_backend, dictionary_terms, get_tokenizer, stopwords, tokenize


@pytest.fixture(scope="module")
def sentences(cleaned):
    import pandas as pd

    frames = [
        split_sentences(split_passages(r.text, doc_id=d, text_original=r.text_original))
        for d, r in cleaned.items()
    ]
    return pd.concat(frames, ignore_index=True)


def test_dictionary_is_big_enough():
    terms = dictionary_terms()
    assert len(terms) >= 300
    assert len(set(terms)) == len(terms)
    for term in (
        "立德树人",
        "双减",
        "产教融合",
        "优质均衡",
        "集团化办学",
        "县管校聘",
        "职普融通",
        "高品质示范高中",
        "教共体",
        "双师型",
    ):
        assert term in terms


@pytest.mark.parametrize(
    "term", ["立德树人", "产教融合", "优质均衡", "集团化办学", "县管校聘", "职普融通", "高品质示范高中"]
)
def test_terms_jieba_would_split_stay_whole(term):
    assert term in cut(f"全面推进{term}工作")


def test_every_dictionary_term_survives_in_context(sentences):
    """Each occurrence of a dictionary term in the corpus is one token or inside a longer dictionary token."""
    terms = set(dictionary_terms())
    checked, broken = 0, []
    for text in sentences["text"]:
        present = [t for t in terms if t in text]
        if not present:
            continue
        tokens = cut(text)
        spans, pos = [], 0
        for tok in tokens:
            spans.append((pos, pos + len(tok), tok))
            pos += len(tok)
        for term in present:
            for m in re.finditer(re.escape(term), text):
                checked += 1
                # whole, inside a longer dictionary token, or overlapped by another dictionary term that won
                # the competition for the same characters (义务教育集团化办学: 集团化办学 beats 教育集团)
                ok = any(
                    (a <= m.start() and m.end() <= b and (tok == term or tok in terms))
                    or (a < m.end() and m.start() < b and tok in terms and tok != term)
                    for a, b, tok in spans
                )
                if not ok:
                    broken.append((term, text[max(0, m.start() - 5) : m.end() + 5]))
    assert checked > 300
    assert broken == []


@pytest.mark.parametrize(
    "text, token",
    [
        ("建设7.6万个学位", "7.6"),
        ("覆盖率达90%以上", "90%"),
        ("创建2-3个", "2-3"),
        ("新增学位****个", "****"),
        (">97", ">97"),
    ],
)
def test_numbers_stay_single_tokens(text, token):
    assert token in cut(text)


def test_cut_concatenates_back():
    text = "到2025年，普惠性幼儿园覆盖率达到90%以上，新（改、扩）建幼儿园60所。"
    assert "".join(cut(text)) == text


def test_tokens_table(sentences):
    sub = sentences[sentences["doc_id"] == "ningbo_2023"]
    tokens = tokenize(sub)
    assert list(tokens.columns) == [
        "doc_id", "passage_id", "sentence_id", "token_index", "token", "start", "is_stopword", "is_number", "source_sha256",
    ]  # fmt: skip
    assert tokens["is_number"].any() and tokens["is_stopword"].any()
    assert "**" in set(tokens.loc[tokens["is_number"], "token"])
    assert not tokens["token"].str.strip().eq("").any()
    stop = stopwords()
    assert tokens.loc[tokens["token"].isin(stop), "is_stopword"].all()


def test_tokenizer_built_once_per_process():
    assert get_tokenizer("jieba") is get_tokenizer("jieba")


def test_rjieba_cuts_exactly_as_jieba(sentences):
    import rjieba  # noqa: F401  (installed by make install: the [fast] extra)

    texts = list(sentences["text"])
    assert len(texts) > 300
    assert [cut(t, backend="rjieba") for t in texts] == [cut(t, backend="jieba") for t in texts]
    # the dictionary's frequencies make them agree: with rjieba's suggested ones these were cut differently
    for text in ("推进托幼一体化", "完善社区教育网络", "开放体育运动场馆", "统筹职业教育资源"):
        assert cut(text, backend="rjieba") == cut(text, backend="jieba"), text


def test_default_backend_is_rjieba_when_installed(monkeypatch):
    monkeypatch.delenv("POLICY_COMPARE_TOKENIZER", raising=False)
    assert default_backend() == "rjieba"
    monkeypatch.setenv("POLICY_COMPARE_TOKENIZER", "jieba")
    assert default_backend() == "jieba"


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown tokenizer backend"):
        get_tokenizer("pkuseg")


def test_tokens_lie_in_their_sentences(sentences, cleaned):
    tokens = tokenize(sentences)
    spans = sentences[["sentence_id", "start", "end"]].rename(columns={"start": "s_start", "end": "s_end"})
    joined = tokens.merge(spans, on="sentence_id", how="left")
    assert (joined["start"] >= joined["s_start"]).all()
    assert (joined["start"] + joined["token"].str.len() <= joined["s_end"]).all()
    for row in joined.sample(500, random_state=1).itertuples():
        text = cleaned[row.doc_id].text
        assert text[row.start : row.start + len(row.token)] == row.token
    # token_index restarts in every sentence
    first = joined.groupby("sentence_id")["token_index"].min()
    assert (first == 0).all()


def test_token_classes_are_the_same_with_a_full_cache(sentences, monkeypatch):
    tok = importlib.import_module(
        "compare.text.tokenize"
    )  # the module: compare.text.tokenize is also a function

    sub = sentences[sentences["doc_id"] == "changzhou_2023"]
    cached = tokenize(sub)
    monkeypatch.setattr(tok, "TOKEN_CLASS_CACHE_MAX", 0)  # every token classified per call, nothing cached
    uncached = tokenize(sub)
    assert cached.equals(uncached)
    assert cached["is_stopword"].any() and cached["is_number"].any()


def test_whitespace_tokens_are_dropped_and_offsets_stay_right(sentences):
    # two sentences that touch, one with spaces inside: they are cut as one run
    sub = sentences[sentences["doc_id"] == "taizhou_js_2023"].head(2).copy()
    first, second = sub["text"].iloc[0], sub["text"].iloc[1]
    spaced = first[:4] + "  " + first[4:]
    sub["text"] = [spaced, second]
    sub["start"] = [0, len(spaced)]
    sub["end"] = [len(spaced), len(spaced) + len(second)]
    tokens = tokenize(sub, check=False)
    text = spaced + second
    assert not tokens["token"].str.isspace().any()
    assert all(text[s : s + len(t)] == t for s, t in zip(tokens["start"], tokens["token"], strict=True))
    assert tokens["sentence_id"].nunique() == 2
    assert "".join(tokens["token"]) == text.replace(" ", "")
