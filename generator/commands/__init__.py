"""`kb` subcommands, one module each (see generator/cli.py)."""
