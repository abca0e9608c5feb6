"""The checklist language: types, loading, validation, versions, and the scoring of one visit."""
