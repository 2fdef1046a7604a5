"""``python -m cin_pipeline.cli`` = ``cin-pipeline``."""

import sys

from cin_pipeline.cli import main

sys.exit(main())
