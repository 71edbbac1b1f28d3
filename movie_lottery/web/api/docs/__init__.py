"""The API's description: the OpenAPI document, its Russian reference, and /api/docs."""
