"""The JSON API's schemas, one module per area: what each area accepts and what it answers.

They validate every request, serialise every reply and generate /api/openapi.json, so the document is the
code that runs. base.py holds what the areas share.
"""
