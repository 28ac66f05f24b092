#!/usr/bin/env python3
"""Check the content files an editor may change (``make validate-content``).

The checks live in backoffice/content/validate.py.

Usage: validate_content.py [CONTENT_DIR]; exit code 1 when there are errors.
Runs in either virtual environment (it needs only PyYAML).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from backoffice.content.validate import main, validate

__all__ = ["validate"]

if __name__ == "__main__":
    sys.exit(main())
