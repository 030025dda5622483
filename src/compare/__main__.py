"""``python -m compare`` runs the command-line interface."""

from compare.cli import main

raise SystemExit(main())
