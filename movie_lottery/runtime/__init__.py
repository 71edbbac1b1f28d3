"""Process concerns: gevent glue, what the gunicorn master does before forking, per-process objects,
log masking."""
