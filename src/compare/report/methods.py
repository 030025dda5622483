"""The briefing's methods box: rule versions, validation figures, provenance and build facts.

Target-extraction accuracy is read from ``resources/validation.csv`` (written by the validation run, one row
per validation set: seeds, tuned, blind). The blind set's row is the trust figure and is shown first, with a
one-line reading guide; without a blind row, or without the file, the box says so plainly instead of
presenting tuned figures as the estimate for a new plan. All text is HTML-escaped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from compare.pipeline import validation
from compare.report.snippets import note_html, table_html
from compare.report.wording import DEFAULT_LANG, Wording, pct, wording

__all__ = [
    "RESOURCE_FILES",
    "VALIDATION_COLUMNS",
    "VALIDATION_FILE",
    "load_build_info",
    "methods_box_html",
    "methods_table",
    "provenance_table",
    "read_validation",
    "resource_versions",
    "targets_validation_html",
    "validation_figures",
]

#: Versioned rule files whose ``version`` the methods box reports (labels in ``briefing_text.yaml``).
RESOURCE_FILES = (
    "themes.yaml",
    "instruments.yaml",
    "strength.yaml",
    "cleaning.yaml",
    "target_rules.yaml",
    "indicators.yaml",
)
#: Target-extraction scores per validation set, written by the validation run.
VALIDATION_FILE = "validation.csv"
VALIDATION_COLUMNS = (
    "set", "n_docs", "n_expected", "precision", "recall", "unit_exact", "comparator_exact", "year_exact",
    "commitment_precision", "commitment_recall",
)  # fmt: skip
SHARE_COLUMNS = VALIDATION_COLUMNS[3:]


def load_build_info(processed: str | Path | None = None) -> dict:
    """``build_info.json`` of a processed folder (default: the project's; empty dict if absent)."""
    from compare.core.config import PROCESSED_DATA_DIR

    path = Path(processed if processed is not None else PROCESSED_DATA_DIR) / "build_info.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def resource_versions(*, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """``rules, file, version`` of every versioned rule file the build used (missing files listed as such)."""
    from compare.core.config import resource_path

    w = wording(lang)
    rows = []
    for name in RESOURCE_FILES:
        try:
            data = yaml.safe_load(resource_path(name).read_text(encoding="utf-8")) or {}
            version = str(data.get("version", w("methods.unversioned")))
        except FileNotFoundError:
            version = w("methods.not_installed")
        rows.append((w.values("methods.rules").get(name, name), name, version))
    return pd.DataFrame(rows, columns=["rules", "file", "version"])


def _when(build_info: dict) -> str:
    """``2026-01-02 14:03:04`` from the ISO build time (no ``T`` between date and time)."""
    return str(build_info.get("built_at", "")).replace("T", " ").split("+")[0].split(".")[0]


def provenance_table(build_info: dict) -> pd.DataFrame:
    """One row per source file: ``doc_id, file, sha256`` (from ``build_info.json``)."""
    files = build_info.get("files", {})
    return pd.DataFrame(
        [(d, f.get("file"), f.get("sha256")) for d, f in files.items()], columns=["doc_id", "file", "sha256"]
    )


def methods_table(build_info: dict, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """Build facts for the methods box: build time, pipeline fingerprint, Python and package versions."""
    w = wording(lang)
    rows = [
        (w("methods.build_items.built_at"), _when(build_info)),
        (w("methods.build_items.seconds"), str(build_info.get("seconds", ""))),
        (w("methods.build_items.fingerprint"), str(build_info.get("pipeline_fingerprint", ""))),
        (w("methods.build_items.python"), str(build_info.get("python", ""))),
    ]
    rows += [
        (w("methods.build_items.package", name=k), str(v))
        for k, v in (build_info.get("packages") or {}).items()
    ]
    rows += [
        (w("methods.build_items.rows", name=k), f"{v:,}") for k, v in (build_info.get("rows") or {}).items()
    ]
    return pd.DataFrame(rows, columns=["item", "detail"])


# --------------------------------------------------------------------------------------------------
# target extraction: validation.csv
# --------------------------------------------------------------------------------------------------
def read_validation(path: str | Path | None = None) -> pd.DataFrame:
    """The target-extraction scores per validation set (default: ``resources/validation.csv``).

    Returns:
        The file's rows (columns :data:`VALIDATION_COLUMNS`); an empty table with ``attrs["message"]``
        (``missing`` or ``bad: <reason>``) when the file is absent or unreadable.
    """
    from compare.core.config import resource_path

    try:
        p = Path(path) if path is not None else resource_path(VALIDATION_FILE)
    except FileNotFoundError:
        p = None
    out = pd.DataFrame(columns=list(VALIDATION_COLUMNS))
    if p is None or not p.exists():
        out.attrs["message"] = "missing"
        return out
    try:
        df = pd.read_csv(p, encoding="utf-8-sig")
        absent = [c for c in VALIDATION_COLUMNS if c not in df.columns]
        if absent:
            raise ValueError(f"{p.name}: missing column(s) {', '.join(absent)}")
        df = df[list(VALIDATION_COLUMNS)].copy()
        df["set"] = df["set"].astype(str).str.strip()
        for c in VALIDATION_COLUMNS[1:]:
            df[c] = pd.to_numeric(df[c], errors="raise")
    except Exception as exc:  # a broken file must not break the briefing
        out.attrs["message"] = f"bad: {type(exc).__name__}: {exc}"
        return out
    return df.reset_index(drop=True)


def _validation_display(df: pd.DataFrame, w: Wording) -> pd.DataFrame:
    shown = df.copy()
    shown["set"] = shown["set"].map(lambda s: w.values("methods.sets").get(s, s))
    for c in SHARE_COLUMNS:
        shown[c] = shown[c].map(lambda v: pct(v, digits=1))
    for c in ("n_docs", "n_expected"):
        shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    return w.columns(shown)


def targets_validation_html(df: pd.DataFrame, *, lang: str = DEFAULT_LANG) -> str:
    """The blind set's figures first (with the reading guide), then every set's row; or a plain notice."""
    w = wording(lang)
    parts = [f"<h4>{w('methods.targets_validation')}</h4>"]
    msg = df.attrs.get("message")
    if msg == "missing":
        return "".join([*parts, note_html(w("methods.no_file"), kind="missing")])
    if msg:
        return "".join(
            [*parts, note_html(w("methods.bad_file", error=msg.removeprefix("bad: ")), kind="missing")]
        )
    blind = df[df["set"] == "blind"]
    if len(blind):
        r = blind.iloc[0]
        line = w(
            "methods.blind_line",
            n_docs=int(r["n_docs"]),
            n_expected=int(r["n_expected"]),
            **{c: pct(r[c], digits=1) for c in SHARE_COLUMNS},
        )
        parts.append(
            '<div class="pc-blind" style="border-left:5px solid #0b3d62;background:#fff;padding:0.6em 1em;'
            'margin:0.6em 0;font-size:1.1em">'
            f"<strong>{_esc(w('methods.blind_title'))}</strong><br>{_esc(line)}</div>"
        )
        parts.append(note_html(w("methods.reading_guide"), kind="guide"))
    else:
        parts.append(note_html(w("methods.no_blind"), kind="missing"))
    order = {"blind": 0, "tuned": 1, "seeds": 2}
    rows = df.assign(_o=df["set"].map(order).fillna(3)).sort_values("_o", kind="stable").drop(columns="_o")
    parts.append(table_html(_validation_display(rows, w)))
    return "".join(parts)


def _esc(text: str) -> str:
    import html

    return html.escape(text)


# --------------------------------------------------------------------------------------------------
# theme tagging, scored live against hand-coded labels
# --------------------------------------------------------------------------------------------------
def validation_figures(
    tables: dict[str, pd.DataFrame],
    *,
    labels_dir: str | Path | None,
    work_dir: str | Path | None = None,
    lang: str = DEFAULT_LANG,
) -> pd.DataFrame:
    """Theme tagging and target extraction scored against the hand-checked labels, when both exist.

    Args:
        tables: The full corpus (validation always uses every labelled document).
        labels_dir: Folder with ``theme_labels.csv`` and ``expected_targets_<doc_id>.csv`` (the project's
            ``tests/data``), and optionally ``composed/sets.csv`` (validation sets built and scored here, see
            :mod:`compare.pipeline.validation`); None or absent gives an empty table with ``attrs["message"]``.
        work_dir: Where the validation sets are built (default: temporary folders).
        lang: Language of the ``check`` and ``scope`` texts.

    Returns:
        ``check, scope, n, precision, recall, f1`` rows (themes: micro average per split of the seeds, then per
        validation set with its status; targets: all docs).
    """
    w = wording(lang)
    cols = ["check", "scope", "n", "precision", "recall", "f1"]
    out = pd.DataFrame(columns=cols)
    folder = Path(labels_dir) if labels_dir else None
    if folder is None or not folder.is_dir():
        out.attrs["message"] = w("methods.no_labels")
        return out
    rows: list[tuple] = []
    notes: list[str] = []
    check = w("methods.themes_check")
    theme_labels = folder / "theme_labels.csv"
    if theme_labels.exists() and "theme_tags_passage" in tables:
        from compare.tagging import labels as labels_mod

        try:
            v = labels_mod.validate_against_labels(
                tables["theme_tags_passage"], passages=tables["passages"],
                labels=labels_mod.read_labels(theme_labels),
            )  # fmt: skip
            micro = v[v["theme_code"] == "micro"]
            if micro["split"].nunique() <= 2:  # one split: "all" would repeat it
                micro = micro[micro["split"] != "all"]
            for r in micro.itertuples():
                split = w.values("methods.status").get(r.split, r.split)
                scope = w("methods.themes_scope_seeds", split=split)
                rows.append((check, scope, int(r.n_passages), r.precision, r.recall, r.f1))
        except Exception as exc:  # a broken label file must not break the briefing
            notes.append(w("methods.validation_failed", error=f"{type(exc).__name__}: {exc}"))
    if (folder / "composed" / validation.SETS_FILE).exists():
        try:
            sets = validation.validate_sets(folder / "composed", work_dir=work_dir)
            for r in sets[sets["theme_code"] == "micro"].itertuples():
                status = w.values("methods.status").get(r.status, r.status)
                split = str(r.split).removeprefix("composed_")
                scope = w("methods.themes_scope_set", split=split, status=status, n=int(r.n_documents))
                rows.append((check, scope, int(r.n_passages), r.precision, r.recall, r.f1))
        except Exception as exc:  # idem
            notes.append(w("methods.validation_failed", error=f"{type(exc).__name__}: {exc}"))
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
                scope = w("methods.targets_scope_docs", n=exp["doc_id"].nunique())
                rows.append((w("methods.targets_check"), scope, int(r["n_expected"]), p, rc, f1))
                rows.append(
                    (w("methods.targets_value_check"), w("methods.targets_scope_matched"), int(r["n_matched"]),
                     float(r["value_exact"]), None, None)
                )  # fmt: skip
        except Exception as exc:  # idem
            notes.append(w("methods.validation_failed", error=f"{type(exc).__name__}: {exc}"))
    out = pd.DataFrame(rows, columns=cols)
    if not rows:
        out.attrs["message"] = "; ".join(notes) or w("methods.no_matching_labels")
    elif notes:
        out.attrs["message"] = "; ".join(notes)
    return out


def methods_box_html(
    *,
    build_info: dict,
    versions: pd.DataFrame,
    validation: pd.DataFrame,
    provenance: pd.DataFrame,
    target_validation: pd.DataFrame | None = None,
    lang: str = DEFAULT_LANG,
) -> str:
    """The methods box: method, target-extraction validation (blind set first), theme validation, rule
    versions, provenance and build facts, as escaped HTML."""
    w = wording(lang)
    v = validation.copy()
    for col in ("precision", "recall", "f1"):
        if col in v.columns:
            v[col] = v[col].map(lambda x: "" if x is None or pd.isna(x) else f"{x:.1%}")
    msg = validation.attrs.get("message")
    tv = target_validation if target_validation is not None else read_validation()
    parts = [
        note_html(w("methods.intro"), kind="text"),
        targets_validation_html(tv, lang=lang),
        f"<h4>{_esc(w('methods.themes_validation'))}</h4>",
        table_html(w.columns(v)) if len(v) else "",
        note_html(msg, kind="missing") if msg else "",
        f"<h4>{_esc(w('methods.versions'))}</h4>",
        table_html(w.columns(versions)),
        f"<h4>{_esc(w('methods.provenance'))}</h4>",
        note_html(
            w(
                "methods.provenance_line",
                built_at=_when(build_info),
                fingerprint=str(build_info.get("pipeline_fingerprint", "")),
            )
        ),
        table_html(w.columns(provenance)),
        table_html(w.columns(methods_table(build_info, lang=lang)), caption=w("captions.build")),
    ]
    return (
        '<div class="pc-methods" style="border:1px solid #c8d3de;background:#f6f9fc;padding:0.8em 1.2em;'
        'border-radius:6px">' + "".join(parts) + "</div>"
    )
