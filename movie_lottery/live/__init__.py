"""Event streams (Server-Sent Events) for the waiting page, the poll page and the library's downloads.

A stream holds no worker: under gevent it is a greenlet parked in ``sleep`` between ticks (architecture
rule 10). How a change made by any worker or instance reaches it: the content version (core.content_version),
read at most once per tick per process however many streams are open (``VersionClock``); a stream whose
version moved builds its state again and sends it when it differs from what it last sent. Nothing here
knows of ``request``: the web layer hands in a function that builds the state's JSON text.
"""
