"""Stage 4, render: the model turned into every page of the build folder, in memory.

Contract: takes the finished, valid model (stage 3) and the knowledge base's templates/ and
content/; returns {build-folder path: text or bytes}; writes nothing. `render.py` renders the
generated pages through the Jinja templates of `templates/` (a knowledge base's templates/
overrides one by name), `carried.py` supplies the pages copied as they are, and `after_edit.py`
says which pages an edit of fact files can change (kb serve renders only those).
"""
