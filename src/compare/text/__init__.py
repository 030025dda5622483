"""From raw files to text tables: decode (``readers``), read the manifest (``manifest``), infer metadata
(``metadata``), ingest (``ingest``), clean and convert script (``clean``), split into passages and sentences
(``segment``), tokenise (``tokenize``) and find numbers (``numbers``). Depends on ``compare.core`` only.
"""
