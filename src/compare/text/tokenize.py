"""Tokenise sentences with jieba and the education-policy dictionary.

One ``jieba.Tokenizer`` instance per process, built once with the user dictionary
(``resources/userdict_education.txt``); jieba's logging is silenced and its cache goes to a project cache
folder. Numbers, percentages, ranges ("2-3") and masks ("**") are cut out before jieba sees the text, so
each stays one token. The optional ``rjieba`` backend (Rust) gives the same tokens much faster.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from compare.core.config import resource_path
from compare.core.schemas import TOKENS, str_array, validate

NUMBER_TOKEN_RE = re.compile(
    r"\*{2,}"  # masked number
    r"|[<>≥≤]?\d+(?:\.\d+)?(?:\s*[-~～—至到]\s*\d+(?:\.\d+)?)?(?:\s*[%‰])?"  # 7.6 / 90% / 2-3 / >97
)
PUNCT_RE = re.compile(r"^[\s\W_]+$")
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
def dictionary_entries() -> tuple[tuple[str, int | None, str | None], ...]:
    """The education-policy dictionary as ``(term, freq, tag)``, in file order (comments skipped)."""
    entries = []
    for line in resource_path(USERDICT).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            parts = line.split()
            freq = int(parts[1]) if len(parts) > 1 else None
            entries.append((parts[0], freq, parts[2] if len(parts) > 2 else None))
    return tuple(entries)


def dictionary_terms() -> tuple[str, ...]:
    """The education-policy dictionary terms, in file order (comments and blank lines skipped)."""
    return tuple(term for term, _, _ in dictionary_entries())


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
    """The backend used when none is asked for: ``POLICY_COMPARE_TOKENIZER`` if set, else ``rjieba`` when it
    is installed (the same tokens, about 25 times faster), else ``jieba``."""
    backend = os.environ.get("POLICY_COMPARE_TOKENIZER") or ("rjieba" if _has_rjieba() else "jieba")
    if backend not in BACKENDS:
        raise ValueError(f"POLICY_COMPARE_TOKENIZER must be one of {BACKENDS}, not {backend!r}")
    return backend


@functools.lru_cache(maxsize=1)
def _has_rjieba() -> bool:
    return importlib.util.find_spec("rjieba") is not None


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
        for term, freq, tag in dictionary_entries():  # jieba's frequencies: the same cuts as jieba
            seg.add_word(term, freq, tag)
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


#: ``is_stopword`` / ``is_number`` of the tokens seen in this process: tokens repeat across documents, so each
#: distinct token is classified once. Entries are never removed (safe with threads); past
#: :data:`TOKEN_CLASS_CACHE_MAX` entries, new tokens are classified per call instead of cached.
_IS_STOP: dict[str, bool] = {}
_IS_NUMBER: dict[str, bool] = {}
TOKEN_CLASS_CACHE_MAX = 500_000


def _classes_into(tokens: set[str], is_stop: dict[str, bool], is_number: dict[str, bool]) -> None:
    stop = stopwords()
    for t in tokens:
        is_stop[t] = t in stop or PUNCT_RE.match(t) is not None
        is_number[t] = NUMBER_TOKEN_RE.fullmatch(t) is not None


def _token_classes(tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``is_stopword`` (stopword or punctuation) and ``is_number`` (number, range or mask) of every token."""
    distinct = set(tokens)
    new = distinct.difference(_IS_STOP)
    if len(_IS_STOP) + len(new) <= TOKEN_CLASS_CACHE_MAX:
        _classes_into(new, _IS_STOP, _IS_NUMBER)
        is_stop, is_number = _IS_STOP, _IS_NUMBER
    else:
        is_stop, is_number = {}, {}
        _classes_into(distinct, is_stop, is_number)
    count = len(tokens)
    return (
        np.fromiter(map(is_stop.__getitem__, tokens), dtype=bool, count=count),
        np.fromiter(map(is_number.__getitem__, tokens), dtype=bool, count=count),
    )


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
        The tokens table (see :data:`compare.core.schemas.TOKENS`); whitespace tokens are dropped.
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
    run_counts: list[int] = []  # tokens of each run
    run_offsets: list[int] = []  # document offset of each run's first character
    rows: list[int] = []  # the sentences tokenised, in order
    row_ends: list[int] = []  # where each of them ends in the runs laid end to end
    # Cut runs of sentences that touch (same passage, no gap between them) as one string, like cutting a
    # line: end marks are never inside a word, so each token falls in exactly one sentence, and jieba is
    # called about once per line instead of once per sentence. Offsets and sentence rows are computed
    # afterwards with numpy over all tokens at once.
    laid = 0
    i = 0
    while i < n:
        if passages[i] in skip:
            i += 1
            continue
        j, end = i, offsets[i] + len(texts[i])
        rows.append(i)
        laid += len(texts[i])
        row_ends.append(laid)
        while j + 1 < n and passages[j + 1] == passages[i] and offsets[j + 1] == end:
            j += 1
            end += len(texts[j])
            rows.append(j)
            laid += len(texts[j])
            row_ends.append(laid)
        text = texts[i] if j == i else "".join(texts[i : j + 1])
        cut_tokens = _cut_with(seg, text)
        tokens.extend(cut_tokens)
        run_counts.append(len(cut_tokens))
        run_offsets.append(offsets[i])
        i = j + 1
    if not tokens:
        return TOKENS.empty()
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    laid_start = np.cumsum(lengths) - lengths  # each token's start in the runs laid end to end
    counts = np.asarray(run_counts, dtype=np.int64)
    first_token = np.cumsum(counts) - counts
    # document offset = run offset + position inside the run
    token_starts = (
        np.repeat(np.asarray(run_offsets, dtype=np.int64) - laid_start[first_token], counts) + laid_start
    )
    row = np.asarray(rows, dtype=np.int64)[np.searchsorted(np.asarray(row_ends), laid_start, side="right")]
    keep = np.fromiter(map(str.isspace, tokens), dtype=bool, count=len(tokens))
    if keep.any():  # rare inside a sentence: drop whitespace tokens
        keep = ~keep
        tokens = [t for t, k in zip(tokens, keep, strict=True) if k]
        row, token_starts = row[keep], token_starts[keep]
        if not tokens:
            return TOKENS.empty()
    first = np.ones(len(row), dtype=bool)
    first[1:] = row[1:] != row[:-1]
    position = np.arange(len(row), dtype=np.int64)
    token_index = position - np.maximum.accumulate(np.where(first, position, 0))
    no_nulls = np.zeros(len(row), dtype=bool)
    is_stop, is_num = _token_classes(tokens)
    df = pd.DataFrame(
        {
            "doc_id": sentences["doc_id"].array.take(row),  # Arrow strings stay Arrow: no conversion
            "passage_id": sentences["passage_id"].array.take(row),
            "sentence_id": sentences["sentence_id"].array.take(row),
            "token_index": pd.arrays.IntegerArray(token_index, no_nulls),
            "token": str_array(tokens),
            "start": pd.arrays.IntegerArray(token_starts, no_nulls.copy()),
            "is_stopword": pd.arrays.BooleanArray(is_stop, no_nulls.copy()),
            "is_number": pd.arrays.BooleanArray(is_num, no_nulls.copy()),
            "source_sha256": sentences["source_sha256"].array.take(row),
        }
    )
    return validate(df, TOKENS) if check else df
