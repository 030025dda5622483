"""Cross-city comparisons over the tagged and extracted tables: coverage, co-occurrence and "only here"
(``coverage``), similarity (``similarity``), distinctive terms (``distinctive``), the TF-IDF second opinion
(``suggestions``), target shares per theme (``target_summary``), a selection's comparison in one call
(``documents``), the corpus step of the themes stage (``corpus``) and its streamed version for large
corpora (``streaming``, ``term_counts``).
"""
