"""Tags on sentences and passages: the theme codebook (``codebook``) and its term matcher (``matcher``),
sentence scoring with the coding rules (``scoring``), section context (``context``), theme tags of
sentences and passages (``themes``), policy instruments (``instruments``), commitment strength
(``strength``) and scoring against hand labels (``labels``). Depends on ``compare.core`` and ``compare.text``.
"""
