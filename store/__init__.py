"""Persistence: models, the query spec compiler, derived figures, imports. Imports nothing of ours."""
