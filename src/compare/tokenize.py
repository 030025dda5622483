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

import pandas as pd

from compare.config import resource_path
from compare.schemas import TOKENS, validate

NUMBER_TOKEN_RE = re.compile(
    r"\*{2,}"  # masked number
    r"|[<>≥≤]?\d+(?:\.\d+)?(?:\s*[-~～—至到]\s*\d+(?:\.\d+)?)?\s*(?:%|‰)?"  # 7.6 / 90% / 2-3 / >97
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


@functools.lru_cache(maxsize=4)
def get_tokenizer(backend: str | None = None) -> Callable[[str], list[str]]:
    """Build (once per process) a cut function with the education dictionary loaded.

    Args:
        backend: ``"jieba"`` (a private ``jieba.Tokenizer``) or ``"rjieba"`` (needs the optional ``rjieba``
            package). Defaults to :func:`default_backend`.

    Returns:
        A function ``cut(text) -> list[str]``.
    """
    backend = backend or default_backend()
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
    seg = get_tokenizer(backend)
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
    sentences: pd.DataFrame, *, backend: str | None = None, skip_passages: set[str] | None = None
) -> pd.DataFrame:
    """Tokenise every sentence.

    Args:
        sentences: The sentences table.
        backend: Tokenizer backend (see :func:`get_tokenizer`).
        skip_passages: Passage ids whose sentences are not tokenised (the build passes table blocks, so
            their numbers stay out of prose statistics).

    Returns:
        The tokens table (see :data:`compare.schemas.TOKENS`); whitespace tokens are dropped.
    """
    stop = stopwords()
    rows: dict[str, list] = {c: [] for c in TOKENS.names}
    for s in sentences.itertuples(index=False):
        if skip_passages and s.passage_id in skip_passages:
            continue
        pos, k = s.start, 0
        for token in cut(s.text, backend=backend):
            start = pos
            pos += len(token)
            if not token.strip():
                continue
            is_number = bool(NUMBER_TOKEN_RE.fullmatch(token))
            rows["doc_id"].append(s.doc_id)
            rows["passage_id"].append(s.passage_id)
            rows["sentence_id"].append(s.sentence_id)
            rows["token_index"].append(k)
            rows["token"].append(token)
            rows["start"].append(start)
            rows["is_stopword"].append(token in stop or bool(PUNCT_RE.match(token)))
            rows["is_number"].append(is_number)
            rows["source_sha256"].append(s.source_sha256)
            k += 1
    if not rows["token"]:
        return TOKENS.empty()
    return validate(pd.DataFrame(rows), TOKENS)
