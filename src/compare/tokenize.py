"""Tokenise sentences with jieba and the education-policy dictionary.

One ``jieba.Tokenizer`` instance per process, built once with the user dictionary
(``resources/userdict_education.txt``); jieba's logging is silenced and its cache goes to a project cache
folder. Numbers, percentages, ranges ("2-3") and masks ("**") are cut out before jieba sees the text, so
each stays one token. The optional ``rjieba`` backend (Rust) gives the same tokens much faster.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from compare.config import resource_path
from compare.schemas import TOKENS, validate

NUMBER_TOKEN_RE = re.compile(
    r"\*{2,}"  # masked number
    r"|[<>≥≤]?\d+(?:\.\d+)?(?:\s*[-~～—至到]\s*\d+(?:\.\d+)?)?(?:\s*[%‰])?"  # 7.6 / 90% / 2-3 / >97
)
PUNCT_RE = re.compile(r"^[\s\W_]+$")
WHITESPACE_RE = re.compile(r"\s")
BACKENDS = ("jieba", "rjieba")
USERDICT = "userdict_education.txt"
STOPWORDS = "stopwords.txt"


def _cache_dir() -> Path:
    base = os.environ.get("POLICY_COMPARE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "policy-compare"
    )
    path = Path(base)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only home (cluster nodes): fall back to the temp folder
        path = Path(tempfile.gettempdir())
    return path


@functools.lru_cache(maxsize=1)
def dictionary_terms() -> tuple[str, ...]:
    """The education-policy dictionary terms, in file order (comments and blank lines skipped)."""
    terms = []
    for line in resource_path(USERDICT).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            terms.append(line.split()[0])
    return tuple(terms)


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stopword list (``resources/stopwords.txt``)."""
    words = set()
    for line in resource_path(STOPWORDS).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line.split()[0])
    return frozenset(words)


def default_backend() -> str:
    """The backend used when none is asked for: ``POLICY_COMPARE_TOKENIZER`` if set, else ``jieba``."""
    backend = os.environ.get("POLICY_COMPARE_TOKENIZER", "jieba")
    if backend not in BACKENDS:
        raise ValueError(f"POLICY_COMPARE_TOKENIZER must be one of {BACKENDS}, not {backend!r}")
    return backend


def get_tokenizer(backend: str | None = None) -> Callable[[str], list[str]]:
    """Build (once per process) a cut function with the education dictionary loaded.

    Args:
        backend: ``"jieba"`` (a private ``jieba.Tokenizer``) or ``"rjieba"`` (needs the optional ``rjieba``
            package). Defaults to :func:`default_backend`.

    Returns:
        A function ``cut(text) -> list[str]``.
    """
    return _build_tokenizer(backend or default_backend())


@functools.lru_cache(maxsize=4)
def _build_tokenizer(backend: str) -> Callable[[str], list[str]]:
    if backend == "rjieba":
        import rjieba

        seg = rjieba.Jieba()
        for term in dictionary_terms():
            seg.add_word(term, None, None)
        return lambda text: seg.cut(text, True)
    if backend != "jieba":
        raise ValueError(f"unknown tokenizer backend {backend!r}; choose one of {BACKENDS}")
    import jieba

    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.tmp_dir = str(_cache_dir())
    tok.initialize()
    with resource_path(USERDICT).open("rb") as fh:
        tok.load_userdict(fh)
    return lambda text: tok.lcut(text, HMM=True)


def cut(text: str, *, backend: str | None = None) -> list[str]:
    """Cut a text into tokens; numbers, percentages, ranges and masks stay whole.

    Args:
        text: Simplified Chinese text.
        backend: Tokenizer backend (see :func:`get_tokenizer`).

    Returns:
        The tokens, whose concatenation is ``text``.
    """
    return _cut_with(get_tokenizer(backend), text)


def _cut_with(seg: Callable[[str], list[str]], text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    for m in NUMBER_TOKEN_RE.finditer(text):
        if m.start() > pos:
            out.extend(seg(text[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    if pos < len(text):
        out.extend(seg(text[pos:]))
    return out


def tokenize(
    sentences: pd.DataFrame,
    *,
    backend: str | None = None,
    skip_passages: set[str] | None = None,
    check: bool = True,
) -> pd.DataFrame:
    """Tokenise every sentence.

    Args:
        sentences: The sentences table.
        backend: Tokenizer backend (see :func:`get_tokenizer`).
        skip_passages: Passage ids whose sentences are not tokenised (the build passes table blocks, so
            their numbers stay out of prose statistics).
        check: Validate the result against the schema (the build validates once per table instead).

    Returns:
        The tokens table (see :data:`compare.schemas.TOKENS`); whitespace tokens are dropped.
    """
    seg = get_tokenizer(backend)
    n = len(sentences)
    if not n:
        return TOKENS.empty()
    texts = sentences["text"].tolist()
    offsets = [int(x) for x in sentences["start"]]
    passages = sentences["passage_id"].tolist()
    skip = skip_passages or set()
    tokens: list[str] = []
    row_parts: list[np.ndarray] = []
    start_parts: list[np.ndarray] = []
    # Cut runs of sentences that touch (same passage, no gap between them) as one string, like cutting a
    # line: end marks are never inside a word, so each token falls in exactly one sentence, and jieba is
    # called about once per line instead of once per sentence. Offsets and sentence rows are computed
    # with numpy per run, not token by token.
    i = 0
    while i < n:
        if passages[i] in skip:
            i += 1
            continue
        j, end = i, offsets[i] + len(texts[i])
        while j + 1 < n and passages[j + 1] == passages[i] and offsets[j + 1] == end:
            j += 1
            end += len(texts[j])
        text = texts[i] if j == i else "".join(texts[i : j + 1])
        cut_tokens = _cut_with(seg, text)
        lengths = np.fromiter(map(len, cut_tokens), dtype=np.int64, count=len(cut_tokens))
        run_starts = offsets[i] + np.cumsum(lengths) - lengths
        if WHITESPACE_RE.search(text):  # rare inside a sentence: drop whitespace tokens
            keep = np.fromiter((not t.isspace() for t in cut_tokens), dtype=bool, count=len(cut_tokens))
            cut_tokens = [t for t, k in zip(cut_tokens, keep, strict=True) if k]
            run_starts = run_starts[keep]
        if j == i:
            run_rows = np.full(len(cut_tokens), i, dtype=np.int64)
        else:
            ends = np.fromiter(
                (offsets[r] + len(texts[r]) for r in range(i, j + 1)), dtype=np.int64, count=j - i + 1
            )
            run_rows = i + np.searchsorted(ends, run_starts, side="right")
        tokens.extend(cut_tokens)
        row_parts.append(run_rows)
        start_parts.append(run_starts)
        i = j + 1
    if not tokens:
        return TOKENS.empty()
    row = np.concatenate(row_parts)
    token_starts = np.concatenate(start_parts)
    first = np.ones(len(row), dtype=bool)
    first[1:] = row[1:] != row[:-1]
    position = np.arange(len(row), dtype=np.int64)
    token_index = position - np.maximum.accumulate(np.where(first, position, 0))
    no_nulls = np.zeros(len(row), dtype=bool)
    stop = stopwords()
    unique = set(tokens)  # classify each distinct token once: tokens repeat a lot
    is_stop = {t: t in stop or PUNCT_RE.match(t) is not None for t in unique}
    is_num = {t: NUMBER_TOKEN_RE.fullmatch(t) is not None for t in unique}
    df = pd.DataFrame(
        {
            "doc_id": sentences["doc_id"].array.take(row),  # Arrow strings stay Arrow: no conversion
            "passage_id": sentences["passage_id"].array.take(row),
            "sentence_id": sentences["sentence_id"].array.take(row),
            "token_index": pd.arrays.IntegerArray(token_index, no_nulls),
            "token": np.asarray(tokens, dtype=object),
            "start": pd.arrays.IntegerArray(token_starts, no_nulls.copy()),
            "is_stopword": pd.arrays.BooleanArray(
                np.fromiter(map(is_stop.__getitem__, tokens), dtype=bool, count=len(tokens)), no_nulls.copy()
            ),
            "is_number": pd.arrays.BooleanArray(
                np.fromiter(map(is_num.__getitem__, tokens), dtype=bool, count=len(tokens)), no_nulls.copy()
            ),
            "source_sha256": sentences["source_sha256"].array.take(row),
        }
    )
    return validate(df, TOKENS) if check else df
