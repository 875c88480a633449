"""``python -m geo`` runs the command-line interface."""

from geo.cli import main

main()
