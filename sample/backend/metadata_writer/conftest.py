# Lets the tests in tests/ import the modules in src/ (the image runs them
# from one flat directory, /kfp/metadata_writer).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))
