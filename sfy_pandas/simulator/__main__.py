"""``python -m sfy_pandas.simulator``: the same as ``sfy-pandas simulate``."""

from ._command import simulate

if __name__ == "__main__":
    simulate(prog_name="python -m sfy_pandas.simulator")
