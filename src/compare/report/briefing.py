"""The policy briefing: section tables, one-sentence headlines computed from them, source notes, methods box.

Every headline is a pure function of a table (never typed by hand), so adding a document changes the
sentence. :func:`briefing_tables` gathers the section tables for a selection of documents, calling the
theme / target / timeline libraries; a section whose tables were not built is reported as *not available*
with the stage to run (:func:`missing_message`), never as a traceback. Text for HTML goes through
:func:`html.escape` here (document text may contain markup: it must show as text, never run).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import yaml

from compare.pipeline import validation
from compare.report import overview

__all__ = [
    "RESOURCE_FILES",
    "SECTION_TABLES",
    "briefing_tables",
    "corpus_headline",
    "coverage_headline",
    "headline_html",
    "load_build_info",
    "methods_box_html",
    "methods_table",
    "missing_message",
    "missing_tables",
    "note_html",
    "only_here_headline",
    "provenance_table",
    "resource_versions",
    "source_note",
    "table_html",
    "targets_headline",
    "timeline_headline",
    "validation_figures",
]

#: Tables each briefing section needs, and the build stage that makes them.
SECTION_TABLES = {
    "coverage": (("theme_tags_sentence", "theme_tags_passage", "coverage"), "themes"),
    "targets": (("targets", "aligned_indicators"), "targets"),
    "timeline": (("timeline",), "targets"),
    "only_here": (("coverage", "only_here"), "themes"),
}
#: Versioned rule files whose ``version`` the methods box reports.
RESOURCE_FILES = (
    ("codebook (themes)", "themes.yaml"),
    ("policy instruments", "instruments.yaml"),
    ("commitment strength", "strength.yaml"),
    ("cleaning rules", "cleaning.yaml"),
    ("target extraction rules", "target_rules.yaml"),
    ("indicator vocabulary", "indicators.yaml"),
)


# --------------------------------------------------------------------------------------------------
# availability
# --------------------------------------------------------------------------------------------------
def missing_tables(tables: dict[str, pd.DataFrame], section: str) -> list[str]:
    """The tables a briefing section needs that ``tables`` does not have."""
    names, _ = SECTION_TABLES[section]
    return [n for n in names if n not in tables]


def missing_message(tables: dict[str, pd.DataFrame], section: str) -> str | None:
    """A reader-facing note when a section cannot be shown, else None.

    Returns:
        e.g. ``"not available: run the build with the themes stage (missing tables: coverage)"``.
    """
    missing = missing_tables(tables, section)
    if not missing:
        return None
    stage = SECTION_TABLES[section][1]
    return f"not available: run the build with the {stage} stage (missing tables: {', '.join(missing)})"


# --------------------------------------------------------------------------------------------------
# section tables
# --------------------------------------------------------------------------------------------------
def briefing_tables(
    tables: dict[str, pd.DataFrame], *, docs: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The tables behind every briefing section, for the whole corpus or a selection of documents.

    Cross-document comparisons (coverage emphasis, "only here", indicator alignment) are recomputed for a
    selection, since they are relative to the documents compared. Sections whose inputs are missing are
    simply absent from the result (see :func:`missing_message`).

    Args:
        tables: ``compare.load_corpus(...)``.
        docs: Doc ids to compare (None = all).

    Returns:
        ``documents``, ``summary``, ``labels`` (one row per doc: ``doc_id, label``) and, when available,
        ``coverage``, ``coverage_examples``, ``only_here``, ``aligned_indicators``, ``side_by_side``,
        ``timeline``, ``deadlines``.
    """
    sel = overview.select_documents(tables, docs)
    documents = sel["documents"]
    labels = overview.document_labels(documents)
    out: dict[str, pd.DataFrame] = {
        "documents": documents,
        "summary": overview.document_summary(
            documents,
            passages=sel.get("passages"),
            sentences=sel.get("sentences"),
            repairs=sel.get("repairs"),
        ),
        "labels": pd.DataFrame({"doc_id": list(labels), "label": list(labels.values())}),
    }
    subset = bool(docs) and set(docs) != set(tables["documents"]["doc_id"])
    if not missing_tables(tables, "coverage"):
        from compare.comparison import coverage as coverage_mod
        from compare.extraction import timeline as timeline_mod

        if subset:
            cov = coverage_mod.coverage_table(
                sel["theme_tags_sentence"], passage_tags=sel["theme_tags_passage"], sentences=sel["sentences"],
                documents=documents, taggable=sel.get("strength"),
            )  # fmt: skip
        else:
            cov = sel["coverage"]
        out["coverage"] = cov
        out["coverage_examples"] = coverage_mod.example_sentences(
            sel["theme_tags_sentence"], sentences=sel["sentences"]
        )
        if subset:
            only = coverage_mod.only_here(
                cov, sentence_tags=sel["theme_tags_sentence"], sentences=sel["sentences"],
                theme_instrument=sel.get("theme_instrument"),
            )  # fmt: skip
        else:
            only = sel.get("only_here")
        if only is not None:
            out["only_here"] = _only_here_quotes(only, sel)
    if not missing_tables(tables, "targets"):
        from compare.extraction import align

        aligned = (
            align.align_indicators(sel["targets"], documents=documents)
            if subset
            else sel["aligned_indicators"]
        )
        out["aligned_indicators"] = aligned
        wide = align.side_by_side(aligned)
        out["side_by_side"] = wide.reset_index() if len(wide) else wide
    if not missing_tables(tables, "timeline"):
        out["timeline"] = sel["timeline"]
        out["deadlines"] = timeline_mod.deadline_counts(sel["timeline"], documents=documents)
    return out


def _only_here_quotes(only: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Give every only-here measure (theme x instrument) an example sentence, so each count has a quote."""
    if only.empty or "instrument_tags" not in tables or "example" not in only.columns:
        return only
    from compare.comparison.coverage import drill_down

    out = only.copy()
    for i, r in out[out["example"].isna() & out["instrument_code"].notna()].iterrows():
        rows = drill_down(
            tables["theme_tags_sentence"], sentences=tables["sentences"], doc_id=r["doc_id"],
            theme_code=r["theme_code"], instrument_code=r["instrument_code"], instrument_tags=tables["instrument_tags"],
        )  # fmt: skip
        if len(rows):
            out.at[i, "example"] = rows["text"].iloc[0]
    return out


# --------------------------------------------------------------------------------------------------
# headlines: one sentence per section, computed from the section's table
# --------------------------------------------------------------------------------------------------
def _join(items: list[str], *, limit: int = 4) -> str:
    items = list(items)
    if len(items) > limit:
        return "、".join(items[:limit]) + f" and {len(items) - limit} more"
    return "、".join(items)


def corpus_headline(summary: pd.DataFrame) -> str:
    """E.g. "5 plans from 5 places (泰州(江苏)、常州(江苏) …), 46,081 characters; the longest, 台州(浙江)'s 五年规划 …"."""
    if summary.empty:
        return "No documents selected."
    n = len(summary)
    places = [c or d for c, d in zip(summary["city_label"], summary["doc_id"], strict=True)]
    longest = summary.loc[summary["n_chars_clean"].idxmax()]
    shortest = summary.loc[summary["n_chars_clean"].idxmin()]
    ratio = longest["n_chars_clean"] / max(int(shortest["n_chars_clean"]), 1)
    genres = summary["genre"].replace("", "unknown genre").value_counts()
    genre_txt = ", ".join(f"{k} {v}" for k, v in genres.items())
    text = (
        f"{n} plan{'s' if n != 1 else ''} from {len(set(places))} place{'s' if len(set(places)) != 1 else ''} "
        f"({_join(list(dict.fromkeys(places)), limit=6)}), {int(summary['n_chars_clean'].sum()):,} characters in all "
        f"({genre_txt})"
    )
    if n > 1:
        text += (
            f"; the longest, {longest['city_label'] or longest['doc_id']}'s {longest['genre'] or 'plan'}, "
            f"is {ratio:.1f}× the shortest"
        )
    return text + "."


def coverage_headline(coverage: pd.DataFrame) -> str:
    """Which themes every plan covers, which gets most text, and how many only one plan covers."""
    if coverage is None or coverage.empty or not coverage["present"].any():
        return "No theme was found in the selected documents."
    n_docs = coverage["doc_id"].nunique()
    pres = coverage[coverage["present"]]
    per_theme = pres.groupby("theme_label")["doc_id"].nunique()
    everywhere = per_theme[per_theme == n_docs].index.tolist()
    mean_share = coverage.groupby("theme_label")["share_sentences"].mean().sort_values(ascending=False)
    top, top_share = mean_share.index[0], mean_share.iloc[0]
    n_themes = coverage["theme_code"].nunique()
    parts = [
        f"{len(everywhere)} of {n_themes} themes appear in {'both' if n_docs == 2 else f'all {n_docs}'} plans"
        if n_docs > 1
        else f"the plan covers {len(per_theme)} of {n_themes} themes",
        f"{top} gets the most text ({top_share:.0%} of sentences on average)",
    ]  # fmt: skip
    if n_docs > 1:
        single = per_theme[per_theme == 1]
        parts.append(
            f"{len(single)} theme{'s' if len(single) != 1 else ''} appear{'s' if len(single) == 1 else ''} in one plan only"
        )
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def targets_headline(aligned: pd.DataFrame) -> str:
    """How many indicators several cities state, and the widest gap between comparable targets."""
    if aligned is None or aligned.empty:
        return "No quantitative targets were found in the selected documents."
    shared = aligned[aligned["n_cities"] >= 2]
    n_shared = shared["indicator_id"].nunique()
    comp = aligned[aligned["comparable"].astype(bool)]
    text = (
        f"{aligned['target_id'].nunique()} distinct targets; {n_shared} indicator{'s' if n_shared != 1 else ''} "
        f"{'are' if n_shared != 1 else 'is'} stated by two or more cities"
    )
    if comp.empty:
        return text + ", none with values in the same unit to compare."
    g = comp.assign(v=comp["value"].astype(float))
    # relative gap, so indicators counted in 人次 do not dwarf percentages
    spread = g.groupby(["indicator_id", "level"], dropna=False)["v"].agg(
        lambda s: (s.max() - s.min()) / max(abs(s.max()), abs(s.min()), 1e-9)
    )
    n_comp = len(spread)
    if spread.max() <= 0:
        return (
            text
            + f"; on the {n_comp} comparable indicator{'s' if n_comp != 1 else ''} the cities set the same level."
        )
    key = spread.idxmax()
    grp = g[(g["indicator_id"] == key[0]) & (g["level"].fillna("") == ("" if pd.isna(key[1]) else key[1]))]
    grp = grp.sort_values("v", ascending=False).drop_duplicates("doc_id")
    hi, lo = grp.iloc[0], grp.iloc[-1]
    unit = hi["unit"] or ""
    return (
        text + f"; the widest gap is {hi['canonical_name']}: {hi['city_label']} {hi['v']:g}{unit} "
        f"vs {lo['city_label']} {lo['v']:g}{unit}."
    )


def timeline_headline(timeline: pd.DataFrame, *, labels: dict[str, str] | None = None) -> str:
    """The span of dated commitments, the busiest year and the furthest horizon."""
    if timeline is None or timeline.empty:
        return "No dated commitments were found in the selected documents."
    ev = timeline[~timeline["kind"].isin(["plan_period", "recurring"]) & timeline["year"].notna()]
    if ev.empty:
        return "The selected documents state no dated commitments beyond their plan periods."
    years = ev["year"].astype(int)
    counts = years.value_counts()
    busiest = int(counts.idxmax())
    far = ev.loc[years.idxmax()]
    who = (labels or {}).get(far["doc_id"], far["doc_id"])
    return (
        f"{len(ev)} dated commitments from {years.min()} to {years.max()}; {busiest} is the busiest year "
        f"({int(counts.max())} of them); the furthest horizon is {who}'s {int(far['year'])}."
    )


def only_here_headline(only_here: pd.DataFrame, *, labels: dict[str, str] | None = None) -> str:
    """Which plan commits alone to the most themes or measures."""
    if only_here is None or only_here.empty:
        msg = getattr(only_here, "attrs", {}).get("message") if only_here is not None else None
        return f"Nothing is unique to one plan ({msg})." if msg else "Nothing is unique to one plan."
    per_doc = only_here.groupby("doc_id").size().sort_values(ascending=False)
    top = per_doc.index[0]
    themes = only_here[only_here["kind"] == "theme"]["theme_label"].tolist()
    text = (
        f"{len(only_here)} theme{'s' if len(only_here) != 1 else ''} or measure{'s' if len(only_here) != 1 else ''} "
        f"appear in one plan only; {(labels or {}).get(top, top)} has the most ({int(per_doc.iloc[0])})"
    )
    if themes:
        text += f"; whole themes only one plan covers: {_join(themes)}"
    return text + "."


def source_note(tables: dict[str, pd.DataFrame], *, table: str, docs: list[str] | None = None) -> str:
    """ "Source: N documents, M passages, K sentences; table X (R rows)" for the section of ``table``."""
    sel = overview.select_documents(tables, docs)
    n_docs = len(sel["documents"])
    n_pas = len(sel.get("passages", []))
    n_sent = len(sel.get("sentences", []))
    rows = len(sel[table]) if table in sel else 0
    return (
        f"Source: {n_docs} documents, {n_pas:,} passages, {n_sent:,} sentences counted; "
        f"table `{table}` ({rows:,} rows) in data/processed and in briefing_tables.xlsx."
    )


# --------------------------------------------------------------------------------------------------
# HTML snippets (always escaped)
# --------------------------------------------------------------------------------------------------
def headline_html(text: str) -> str:
    """The headline sentence as an escaped HTML block."""
    return f'<p class="pc-headline" style="font-size:1.25em;font-weight:600;margin:0.6em 0">{html.escape(text)}</p>'


def note_html(text: str, *, kind: str = "source") -> str:
    """A source note (``kind="source"``) or a *not available* notice (``kind="missing"``), escaped."""
    style = {
        "source": "color:#555;font-size:0.9em;margin:0.3em 0 1em 0",
        "missing": "background:#fff4e5;border-left:4px solid #e69f00;padding:0.6em 1em;margin:0.8em 0",
    }[kind]
    return f'<p class="pc-{kind}" style="{style}">{html.escape(text)}</p>'


def table_html(
    df: pd.DataFrame, *, max_rows: int = 60, caption: str | None = None, percent: Iterable[str] = ()
) -> str:
    """A table alternative for a chart: escaped HTML, at most ``max_rows`` rows, percentages formatted."""
    shown = df.head(max_rows).copy()
    for col in percent:
        if col in shown.columns:
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    body = shown.to_html(index=False, escape=True, na_rep="", border=0, classes="pc-table")
    more = (
        f"<p style='color:#555'>… {len(df) - max_rows} more rows in the workbook.</p>"
        if len(df) > max_rows
        else ""
    )
    cap = f"<summary>{html.escape(caption)}</summary>" if caption else ""
    return f"<details>{cap}{body}{more}</details>" if caption else body + more


# --------------------------------------------------------------------------------------------------
# methods box
# --------------------------------------------------------------------------------------------------
def load_build_info(processed: str | Path | None = None) -> dict:
    """``build_info.json`` of a processed folder (default: the project's; empty dict if absent)."""
    from compare.core.config import PROCESSED_DATA_DIR

    path = Path(processed if processed is not None else PROCESSED_DATA_DIR) / "build_info.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def resource_versions() -> pd.DataFrame:
    """``rules, file, version`` of every versioned rule file the build used (missing files listed as such)."""
    from compare.core.config import resource_path

    rows = []
    for what, name in RESOURCE_FILES:
        try:
            data = yaml.safe_load(resource_path(name).read_text(encoding="utf-8")) or {}
            version = str(data.get("version", "unversioned"))
        except FileNotFoundError:
            version = "not installed"
        rows.append((what, name, version))
    return pd.DataFrame(rows, columns=["rules", "file", "version"])


def provenance_table(build_info: dict) -> pd.DataFrame:
    """One row per source file: ``doc_id, file, sha256`` (from ``build_info.json``)."""
    files = build_info.get("files", {})
    return pd.DataFrame(
        [(d, f.get("file"), f.get("sha256")) for d, f in files.items()], columns=["doc_id", "file", "sha256"]
    )


def methods_table(build_info: dict) -> pd.DataFrame:
    """Build facts for the methods box: build time, pipeline fingerprint, Python and package versions."""
    rows = [
        ("built at (UTC)", str(build_info.get("built_at", "unknown"))),
        ("build seconds", str(build_info.get("seconds", ""))),
        ("pipeline fingerprint", str(build_info.get("pipeline_fingerprint", ""))),
        ("python", str(build_info.get("python", ""))),
    ]
    rows += [(f"package {k}", str(v)) for k, v in (build_info.get("packages") or {}).items()]
    rows += [(f"rows of {k}", f"{v:,}") for k, v in (build_info.get("rows") or {}).items()]
    return pd.DataFrame(rows, columns=["item", "value"])


def validation_figures(
    tables: dict[str, pd.DataFrame], *, labels_dir: str | Path | None, work_dir: str | Path | None = None
) -> pd.DataFrame:
    """Theme tagging and target extraction scored against the hand-checked labels, when both exist.

    Args:
        tables: The full corpus (validation always uses every labelled document).
        labels_dir: Folder with ``theme_labels.csv`` and ``expected_targets_<doc_id>.csv`` (the project's
            ``tests/data``), and optionally ``composed/sets.csv`` (validation sets built and scored here, see
            :mod:`compare.pipeline.validation`); None or absent gives an empty table with ``attrs["message"]``.
        work_dir: Where the validation sets are built (default: temporary folders).

    Returns:
        ``check, scope, n, precision, recall, f1`` rows (themes: micro average per split of the seeds, then per
        validation set with its status; targets: all docs).
    """
    cols = ["check", "scope", "n", "precision", "recall", "f1"]
    out = pd.DataFrame(columns=cols)
    folder = Path(labels_dir) if labels_dir else None
    if folder is None or not folder.is_dir():
        out.attrs["message"] = "not available: no folder of hand-checked labels"
        return out
    rows: list[tuple] = []
    notes: list[str] = []
    theme_labels = folder / "theme_labels.csv"
    if theme_labels.exists() and "theme_tags_passage" in tables:
        from compare.tagging import labels as labels_mod

        try:
            v = labels_mod.validate_against_labels(
                tables["theme_tags_passage"],
                passages=tables["passages"],
                labels=labels_mod.read_labels(theme_labels),
            )
            micro = v[v["theme_code"] == "micro"]
            if micro["split"].nunique() <= 2:  # one split: "all" would repeat it
                micro = micro[micro["split"] != "all"]
            for r in micro.itertuples():
                rows.append(
                    (
                        "theme tags (passages, micro)",
                        f"seeds: {r.split}",
                        int(r.n_passages),
                        r.precision,
                        r.recall,
                        r.f1,
                    )
                )
        except Exception as exc:  # a broken label file must not break the briefing
            notes.append(f"theme validation failed: {type(exc).__name__}: {exc}")
    if (folder / "composed" / validation.SETS_FILE).exists():
        try:
            sets = validation.validate_sets(folder / "composed", work_dir=work_dir)
            for r in sets[sets["theme_code"] == "micro"].itertuples():
                scope = f"{r.split} ({r.status}, {r.n_documents} documents not in the corpus)"
                rows.append(
                    ("theme tags (passages, micro)", scope, int(r.n_passages), r.precision, r.recall, r.f1)
                )
        except Exception as exc:  # idem
            notes.append(f"validation sets failed: {type(exc).__name__}: {exc}")
    expected = sorted(folder.glob("expected_targets_*.csv"))
    if expected and "targets" in tables:
        from compare.extraction import evaluate

        try:
            exp = pd.concat([evaluate.load_expected(p) for p in expected], ignore_index=True)
            exp = exp[exp["doc_id"].isin(set(tables["documents"]["doc_id"]))]
            if len(exp):
                ev = evaluate.evaluate_targets(tables["targets"], exp, documents=tables["documents"])
                r = ev[ev["doc_id"] == "ALL"].iloc[0]
                p, rc = float(r["precision"]), float(r["recall"])
                f1 = 2 * p * rc / (p + rc) if p + rc else float("nan")
                rows.append(
                    (
                        "targets (numbers found)",
                        f"{exp['doc_id'].nunique()} documents",
                        int(r["n_expected"]),
                        p,
                        rc,
                        f1,
                    )
                )
                rows.append(
                    (
                        "targets: value exact",
                        "matched targets",
                        int(r["n_matched"]),
                        float(r["value_exact"]),
                        None,
                        None,
                    )
                )
        except Exception as exc:  # idem
            notes.append(f"target validation failed: {type(exc).__name__}: {exc}")
    out = pd.DataFrame(rows, columns=cols)
    if not rows:
        out.attrs["message"] = "; ".join(notes) or "not available: no labels matching the built tables"
    elif notes:
        out.attrs["message"] = "; ".join(notes)
    return out


def methods_box_html(
    *, build_info: dict, versions: pd.DataFrame, validation: pd.DataFrame, provenance: pd.DataFrame
) -> str:
    """The methods box: rule versions, validation figures, provenance and build facts, as escaped HTML."""
    v = validation.copy()
    for col in ("precision", "recall", "f1"):
        if col in v.columns:
            v[col] = v[col].map(lambda x: "" if x is None or pd.isna(x) else f"{x:.1%}")
    msg = validation.attrs.get("message")
    parts = [
        "<h3>Methods</h3>",
        "<p>Themes, policy instruments and commitment strength are tagged by versioned keyword rules "
        "(codebook and lexicons below); targets are numbers with a unit and a comparator in the same clause, "
        "deadlines come from dated phrases resolved against the plan period; indicators are aligned across "
        "cities with a curated vocabulary, then by character n-gram similarity. Traditional text is converted "
        "to simplified before matching; quotes are shown in the original script.</p>",
        "<h4>Rule versions</h4>",
        table_html(versions),
        "<h4>Validation against hand-checked labels</h4>",
        table_html(v) if len(v) else "",
        note_html(msg, kind="missing") if msg else "",
        "<h4>Data provenance</h4>",
        note_html(
            f"Built {build_info.get('built_at', 'unknown')} (UTC), pipeline fingerprint "
            f"{build_info.get('pipeline_fingerprint', 'unknown')}; SHA-256 of every source file:"
        ),
        table_html(provenance),
        table_html(methods_table(build_info), caption="Build facts and package versions"),
    ]
    return (
        '<div class="pc-methods" style="border:1px solid #c8d3de;background:#f6f9fc;padding:0.8em 1.2em;'
        'border-radius:6px">' + "".join(parts) + "</div>"
    )
