"""The composed validation sets: every label found, scores held at the measured level, bad set lists rejected."""

from __future__ import annotations

import pandas as pd
import pytest

from compare.pipeline import validation
from compare.tagging import codebook
from compare.tagging import labels as labels_mod
from tests.paths import DATA, ROOT

COMPOSED = DATA / "composed"
NOTES_CODES = set(codebook.load_codebook().codes)

# Floors just below what was measured in session 3 (codebook v5).
# Set a: tuned on (v4 scored it once: micro 0.836, macro 0.851; v5: micro 0.967, P 0.957, R 0.978, macro 0.973).
# Set b: blind for v5, scored once: micro 0.850 (P 0.839, R 0.862), macro 0.886. Tuning on set b from now on
# makes it a tuned set: then change its status in sets.csv and find a new blind set.
FLOORS = {
    "composed_a": {"micro": 0.95, "macro": 0.96, "precision": 0.94, "recall": 0.96, "n_labels": 122},
    "composed_b": {"micro": 0.84, "macro": 0.87, "precision": 0.83, "recall": 0.85, "n_labels": 110},
}


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> pd.DataFrame:
    return validation.validate_sets(COMPOSED, work_dir=tmp_path_factory.mktemp("validation"))


def test_sets_are_listed_with_their_status():
    sets = validation.labelled_sets(COMPOSED)
    assert list(sets["set"]) == ["a", "b"]
    assert dict(zip(sets["set"], sets["status"], strict=True)) == {"a": "tuned", "b": "blind"}


@pytest.mark.parametrize("split", sorted(FLOORS))
def test_every_label_is_found_and_uses_codebook_codes(scores, split):
    rows = scores[scores["split"] == split]
    assert int(rows["unmatched"].iloc[0]) == 0
    assert int(rows["n_passages"].iloc[0]) == FLOORS[split]["n_labels"]
    assert int(rows["n_documents"].iloc[0]) == 4
    labels = labels_mod.read_labels(COMPOSED / split.removeprefix("composed_") / "labels.csv")
    assert not labels.duplicated(["doc_id", "snippet"]).any()
    assert {t for s in labels["themes"] for t in s.split(";") if t} <= NOTES_CODES


@pytest.mark.parametrize("split", sorted(FLOORS))
def test_scores_stay_at_the_measured_level(scores, split):
    rows = scores[scores["split"] == split].set_index("theme_code")
    floors = FLOORS[split]
    assert rows.loc["micro", "f1"] >= floors["micro"]
    assert rows.loc["macro", "f1"] >= floors["macro"]
    assert rows.loc["micro", "precision"] >= floors["precision"]
    assert rows.loc["micro", "recall"] >= floors["recall"]


def test_a_malformed_sets_file_is_a_clear_error(tmp_path):
    (tmp_path / "sets.csv").write_text("set,folder,status,note\nx,x,fresh,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"sets\.csv: unknown status fresh"):
        validation.labelled_sets(tmp_path)
    (tmp_path / "sets.csv").write_text("set,folder,status,note\nx,x,blind,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"set 'x' has no labels\.csv"):
        validation.labelled_sets(tmp_path)
    (tmp_path / "sets.csv").write_text("set,folder\nx,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        validation.labelled_sets(tmp_path)


def test_no_sets_file_gives_no_sets(tmp_path):
    assert validation.labelled_sets(tmp_path).empty
    assert validation.validate_sets(tmp_path).empty


# --- targets and dated commitments ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def extraction(tmp_path_factory):
    from compare.pipeline.validation import extraction_sets, validate_extraction

    sets = extraction_sets(ROOT / "tests" / "data" / "extraction_sets.csv")
    scores, misses = validate_extraction(
        sets, which=("tuned", "blind"), work_dir=tmp_path_factory.mktemp("extraction")
    )
    return sets, scores, misses


def test_extraction_sets_hold_blind_documents_apart(extraction):
    sets, scores, _ = extraction
    assert set(sets["status"]) == {"tuned", "blind"}
    blind = scores[scores["status"] == "blind"]
    assert blind["n_docs"].sum() >= 4 and blind["n_expected"].sum() >= 100  # a blind set big enough to read
    # a set tuned on after its blind score keeps that score in its note
    for r in sets[sets["status"] == "tuned"].to_dict("records"):
        if r["set"] not in ("seeds", "composed_a", "real_tuned"):  # every other set was blind first
            assert "blind at its first score" in r["note"], r["set"]
    # every label was found in its document (an unlocatable label raises), every set scored
    assert list(scores["set"]) == list(sets["set"])


#: Real sets first scored and tuned on 2026-12-04, after one round of tuning each (news pages, reports and forms whose
#: first blind scores were far below the goals): they are guarded together at lower floors, so that adding a
#: hard new set does not hide a regression on the sets tuned for longer.
RECENTLY_TUNED = {f"real_blind{n}" for n in range(10, 58)}


def test_tuned_sets_keep_their_level(extraction):
    from compare.pipeline.validation import combine_sets

    _, scores, _ = extraction
    s = scores.set_index("set")
    assert s.loc["seeds", "precision"] >= 0.95 and s.loc["seeds", "recall"] >= 0.95
    tuned = scores[scores["status"] == "tuned"]
    settled = combine_sets(tuned[~tuned["set"].isin(RECENTLY_TUNED)]).set_index("set").loc["tuned"]
    assert settled["precision"] >= 0.95 and settled["recall"] >= 0.95
    assert settled["unit_exact"] >= 0.95 and settled["comparator_exact"] >= 0.95
    assert settled["year_exact"] >= 0.95
    assert settled["commitment_precision"] >= 0.93 and settled["commitment_recall"] >= 0.9
    recent = combine_sets(tuned[tuned["set"].isin(RECENTLY_TUNED)]).set_index("set").loc["tuned"]
    # their level after the tuning of 2026-12-04, real 10-57 (P .881, R .950, year .868, commitments .816 / .779;
    # real 56-57 not yet tuned on), less a margin; the commitment recall floor went from .78 to .76 when real
    # 54-55 joined (their first recall .643)
    assert recent["precision"] >= 0.82 and recent["recall"] >= 0.93
    assert (
        recent["unit_exact"] >= 0.95 and recent["comparator_exact"] >= 0.95 and recent["year_exact"] >= 0.85
    )
    assert recent["commitment_precision"] >= 0.77 and recent["commitment_recall"] >= 0.76


def test_reported_figures_are_those_of_the_current_code(extraction):
    """resources/validation.csv (the briefing's methods box) and docs/validation.md are regenerated by
    scripts/validate_extraction.py: a change to the extractor that moves a figure fails here until they are."""
    from compare.pipeline.validation import combine_sets

    _, scores, _ = extraction
    pooled = combine_sets(scores).set_index("set")
    stored = pd.read_csv(ROOT / "src" / "compare" / "resources" / "validation.csv").set_index("set")
    assert list(stored.index) == list(pooled.index)
    for col in stored.columns:
        for name in stored.index:
            a, b = stored.loc[name, col], pooled.loc[name, col]
            assert (pd.isna(a) and pd.isna(b)) or abs(float(a) - float(b)) < 1e-3, (name, col, a, b)
    md = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    assert (
        f"| blind | {int(pooled.loc['blind', 'n_docs'])} | {int(pooled.loc['blind', 'n_expected'])} |" in md
    )
