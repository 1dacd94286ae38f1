"""``python -m audiokit`` runs the command line (also under ``torchrun``)."""

from audiokit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
