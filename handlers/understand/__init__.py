"""Understanding a question as data: tag typed spans (tags.py), cut clauses (clauses.py), match a
table of patterns over the tags (patterns.py), each row with its examples in both languages."""
