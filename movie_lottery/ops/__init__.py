"""The owner's tools: flask commands and the doctor."""
