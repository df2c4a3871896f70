"""`kb-dev` subcommands, one module each (see devtools/cli.py)."""
