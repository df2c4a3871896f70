"""What kb's contributor commands do besides the build (generator/commands/ holds their command
lines): rewrite fact files in the one canonical layout, keeping comments (`format.py`: kb fmt;
`migrate.py`: kb migrate; `rename.py`: kb mv; `scaffold.py`: kb new), compare the facts of two
revisions (`factdiff.py`: kb diff) and find cited excerpts in a source's text (`verify.py`:
kb verify). Each reads and writes through the stages (load, validate, pipeline); no stage
imports them.
"""
