"""``python -m sim``: the ``partnersim`` command line."""

from sim.cli import console

if __name__ == "__main__":
    raise SystemExit(console())
