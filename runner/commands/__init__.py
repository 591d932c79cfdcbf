"""One module per command group that outgrew runner/cli.py."""
