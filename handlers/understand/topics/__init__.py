"""The topics of the pattern table, one module each: its ROWS, MACROS and builders.

A topic is read where the parser calls `understand((TOPIC,))`; its order in MODULES is the order
of its rows when two rows tie (patterns.py).
"""

from handlers.understand.topics import (
    classes,
    dates,
    events,
    key_person,
    question_words,
    values,
)

MODULES = (key_person, question_words, values, events, dates, classes)
