"""The language layer: how people write numbers, money, dates and periods, in English and Chinese.

Each dimension is a module holding its data table, its reader and an example corpus (`EXAMPLES`)
that is its test (tests/test_lang.py feeds the corpus to every reader: the importer, the question
parser and the interview). It lives under store/ because store/ imports nothing of ours and both
store/ and handlers/ must read values the same way.
"""
