"""Compatibility: write_predictions moved to the blurkit Python package (python/blurkit).

Old scripts that did `sys.path.insert(0, 'scripts'); from blurkit_predictions import write_predictions`
keep working; new ones import it from the package: `from blurkit import write_predictions`.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'python'))
from blurkit.predictions import SCHEMA_VERSION, write_predictions  # noqa: E402,F401
