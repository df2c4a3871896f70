"""Handset Atlas generator: facts (YAML) -> validated model -> Markdown -> MkDocs site.

The stages, one module each, in the order `build.py` runs them:
load (read files) -> validate (check them) -> model (link records) -> render (Markdown)
-> write (the build folder) -> mkdocs.
"""
