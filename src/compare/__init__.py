"""policy-compare: compare Chinese local education plans across cities.

Public API (DataFrame in, DataFrame out)::

    import compare
    tables = compare.load_corpus("data/processed")        # dict of DataFrames
    result = compare.clean_text(raw)                        # cleaned + simplified text, repairs log
    passages = compare.split_passages(result.text, doc_id="x", text_original=result.text_original)
    sentences = compare.split_sentences(passages)
    tokens = compare.tokenize(sentences)
    compare.build("data/raw", "data/processed")            # the whole pipeline
    compare.plots.themes.heatmap_plotly(tables["coverage"])  # charts (imported on first use)

The package is layered; each layer imports only the layers above it in this list:
``core`` (paths, errors, schemas, storage) → ``text`` (read, clean, segment, tokenise) → ``tagging`` (themes,
instruments, strength) → ``extraction`` (targets, timeline, alignment) → ``comparison`` (cross-city tables) →
``pipeline`` (stages, chunks, executors, build) → ``report`` (overview, briefing, charts, notebooks) → ``cli``.
See docs/architecture.md.
"""

import importlib
import logging

from compare.core.store import load_corpus
from compare.pipeline.build import build
from compare.pipeline.chunks import process_document
from compare.text.clean import clean_text, to_simplified
from compare.text.segment import split_passages, split_sentences
from compare.text.tokenize import cut, get_tokenizer, tokenize

__version__ = "0.1.0"
__all__ = [
    "build",
    "clean_text",
    "cut",
    "get_tokenizer",
    "load_corpus",
    "plots",
    "process_document",
    "split_passages",
    "split_sentences",
    "to_simplified",
    "tokenize",
]

_root = logging.getLogger(__name__)
if not any(isinstance(h, logging.NullHandler) for h in _root.handlers):
    _root.addHandler(logging.NullHandler())


def __getattr__(name: str):
    if name == "plots":  # charts pull in matplotlib and plotly: only on first use
        return importlib.import_module("compare.report.plots")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
