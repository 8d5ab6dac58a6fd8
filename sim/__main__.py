"""``python -m sim``: the ``partnersim`` command line."""

from sim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
