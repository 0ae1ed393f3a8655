"""A seeded fuzz harness for hostile configs and data files: `make fuzz`, or
`python -m tests.fuzz --configs 10000 --data 2000 --seed 0`. See harness.py."""
