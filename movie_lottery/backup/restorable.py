"""What only the database phase of an import refuses, checked in memory for a restore into an empty database.

check.check_backup is everything an import refuses before it touches the database. A few refusals come
later, from what is already stored — and when the database is empty (a restore after Render deleted the old
one) what is stored is only what the file itself brought in. So an export is also checked for these
(verify.py), as the import would meet them in an empty database. (The same movie twice needs no check
here: since migration 0011 the database cannot hold it.)

- a rating of a night that is not in the file: ``_import_ratings`` finds neither it nor a stored one;
- a rating of a poll night under a name another participant's ballot holds there (ratings.rate refuses it).

Not part of every import: against a database that holds data they may rightly pass (the night is stored
there, or the stored ballots differ from the file's), so an import keeps deciding them there.
"""

from __future__ import annotations

from movie_lottery.backup.check import Document, night_name, night_of, refuse
from movie_lottery.core.same_movie import normalise_text


def check_restores_into_empty(document: Document) -> None:
    """InvalidInput, in the import's words, for the first thing an empty database's import would refuse."""
    lotteries = {lottery["id"] for lottery in document.lotteries}
    ballot_names = {
        poll["id"]: {normalise_text(b["name"])[:200]: b["participant"] for b in poll["ballots"]}
        for poll in document.polls
    }
    for entry in document.library:
        where = f"Библиотека, фильм «{entry['name']}»"
        for rating in entry["ratings"]:
            night = night_of(rating)
            if night is None:
                continue
            kind, night_id = night
            if night_id not in (lotteries if kind == "lottery_id" else ballot_names):
                what = "такой лотереи" if kind == "lottery_id" else "такого голосования"
                raise refuse(where, f"оценка «{rating['name']}» — {night_name(night)}, а {what} в копии нет")
            if kind == "poll_id":
                holder = ballot_names[night_id].get(normalise_text(rating["name"])[:200])
                if holder is not None and holder != rating["participant"]:
                    raise refuse(
                        where,
                        f"имя «{rating['name']}» у {night_name(night)} — у другого участника (его голос)",
                    )
