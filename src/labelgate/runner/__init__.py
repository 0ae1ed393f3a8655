"""Whole-pipeline runs: compose params, drive `dvc repro`, read back each dataset's verdict."""
