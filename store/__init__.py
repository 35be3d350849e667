"""Persistence: models, the query spec compiler, derived figures, imports. Imports nothing of ours."""

# The rules re-apply their tags after every figures refresh through a hook (store.refresh does not
# import the rules): importing them here registers it before anything can refresh.
from store import rules as _rules  # noqa: F401  (registers store.refresh.after_refresh)
