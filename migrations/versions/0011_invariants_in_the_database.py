"""invariants the import checks, held by the database: caps by counters, one row per movie, a viewing per night

- Caps. ``poll.ballot_count``, ``poll.rating_count`` and ``lottery.rating_count`` are kept by row triggers on
  ballot and rating (insert, delete, a move between nights) and held by CHECKs (at most 500). The trigger's
  UPDATE of the parent row is what makes it race-free: on PostgreSQL it takes that row's lock, so the
  inserts of one poll or lottery pass it one at a time, each seeing the count the previous one committed;
  on SQLite the write statement holds the database's write lock. Rows over a cap today (a race on the
  Python check gave 508) would fail the CHECK: the newest beyond the 500th are deleted and logged (a closed
  poll that loses ballots forgets its stored result, so the next read counts it again from what is left).
- One row per movie. ``library_movie.same_key`` is the movie as the same-movie rule knows it without a
  Kinopoisk id (its year and normalised title, core/same_movie.same_movie_key), set on every save. A unique
  index on it among rows without an id holds two hand-typed copies apart; the cross case (a hand-typed movie
  and a kept one with an id and the same title and year) cannot be an index, because two rows with ids and
  one title are two movies (remakes): a BEFORE INSERT/UPDATE trigger refuses it. On PostgreSQL it first takes
  a transaction advisory lock on the key, so two adds of one title wait for each other and the second looks
  after the first committed; on SQLite the write lock does the same. Existing duplicates are merged first
  (see ``_merge_duplicates``; each merge is logged).
- A viewing per night. A viewing was unique per (movie, day), so a lottery and a poll won by one movie on
  one day shared a row, and correcting one deleted the other's night. Now a viewing names at most one night
  (CHECK), lotteries and polls stay unique, and only the viewings recorded by hand (no night) are unique per
  movie and day (a partial unique index). Rows that named a lottery and a poll are split in two (logged).

Content version: SQLite rebuilds poll, lottery and viewing for their CHECKs (which drops their triggers:
read before, created again after) and every table that got a column gets its UPDATE trigger over the new
column list. PostgreSQL's triggers compare whole rows as text and cover the new columns as they are.

Revision ID: 0011
Revises: 0010
"""

import json
import logging

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# Kept here, not imported from the app: a migration must mean the same thing forever.
CAP = 500
BUMP = (
    "INSERT INTO content_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
)
SAME_MOVIE = "uq_library_movie_same_movie"
HAND_RECORDED = "lottery_id IS NULL AND poll_id IS NULL"
STILL_GOING = ("pending", "sent")


def normalise_text(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def same_movie_key(name: str, year: int | None) -> str:
    return f"{'' if year is None else year}|{normalise_text(name)}"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _run(statement: str, **params):
    return op.get_bind().execute(sa.text(statement), params)


# ---- the content-version triggers SQLite loses on a rebuild ------------------------------------------


def _sqlite_changed(table: str) -> str:
    columns = [column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)]
    return " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in columns)


def _sqlite_triggers(table: str) -> list[tuple[str, str]]:
    if _postgres():
        return []
    rows = _run("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table", table=table)
    return [(name, sql) for name, sql in rows if sql]


def _restore_sqlite_triggers(table: str, triggers: list[tuple[str, str]]) -> None:
    """Every trigger as it was, except the UPDATE one: it compares every column, now a new list."""
    for name, sql in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if name == f"{table}_update_bumps_content_version":
            op.execute(
                f"CREATE TRIGGER {name} AFTER UPDATE ON {table} "
                f"WHEN {_sqlite_changed(table)} BEGIN {BUMP}; END"
            )
        else:
            op.execute(sql)


# ---- caps ---------------------------------------------------------------------------------------------


def _trim(table: str, night_column: str, parent: str, what: str) -> list[str]:
    """Delete the newest rows beyond CAP per night (they were taken past the cap by a race); the nights."""
    trimmed = []
    over = _run(
        f"SELECT {night_column}, count(*) FROM {table} WHERE {night_column} IS NOT NULL "
        f"GROUP BY {night_column} HAVING count(*) > {CAP}"
    ).all()
    for night_id, count in over:
        keep = [row[0] for row in _run(
            f"SELECT id FROM {table} WHERE {night_column} = :night ORDER BY id LIMIT {CAP}", night=night_id
        )]  # fmt: skip
        names = [row[0] for row in _run(
            f"SELECT name FROM {table} WHERE {night_column} = :night AND id > :last ORDER BY id",
            night=night_id, last=keep[-1],
        )]  # fmt: skip
        _run(f"DELETE FROM {table} WHERE {night_column} = :night AND id > :last", night=night_id, last=keep[-1])
        log.warning(
            "0011: %s %s had %d %s, over the cap of %d: deleted the %d newest (%s)",
            parent, night_id, count, what, CAP, count - CAP, ", ".join(names),
        )  # fmt: skip
        trimmed.append(night_id)
    return trimmed


def _add_caps() -> None:
    for poll_id in _trim("ballot", "poll_id", "poll", "ballots"):
        closed = _run(
            "UPDATE poll SET result = NULL, winner_position = NULL WHERE id = :id AND result IS NOT NULL",
            id=poll_id,
        ).rowcount
        if closed:
            log.warning("0011: poll %s is closed: its result will be counted again from the kept ballots", poll_id)
    _trim("rating", "poll_id", "poll", "ratings")
    _trim("rating", "lottery_id", "lottery", "ratings")
    for table, columns in (("poll", ("ballot_count", "rating_count")), ("lottery", ("rating_count",))):
        triggers = _sqlite_triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, sa.Integer(), server_default="0", nullable=False))
        _run(
            "UPDATE poll SET ballot_count = (SELECT count(*) FROM ballot WHERE ballot.poll_id = poll.id), "
            "rating_count = (SELECT count(*) FROM rating WHERE rating.poll_id = poll.id)"
            if table == "poll"
            else "UPDATE lottery SET rating_count = "
            "(SELECT count(*) FROM rating WHERE rating.lottery_id = lottery.id)"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                name = column.replace("_count", "s") + "_within_cap"
                batch_op.create_check_constraint(
                    batch_op.f(f"ck_{table}_{name}"), f"{column} >= 0 AND {column} <= {CAP}"
                )
        _restore_sqlite_triggers(table, triggers)
    _create_counters()


# A night's rows counted on its parent: (child table, child column, parent table, parent column).
COUNTED = (
    ("ballot", "poll_id", "poll", "ballot_count"),
    ("rating", "lottery_id", "lottery", "rating_count"),
    ("rating", "poll_id", "poll", "rating_count"),
)


def _step(parent: str, column: str, row: str, child_column: str, delta: str) -> str:
    return f"UPDATE {parent} SET {column} = {column} {delta} 1 WHERE id = {row}.{child_column}"


def _create_counters() -> None:
    if _postgres():
        for child in ("ballot", "rating"):
            counted = [c for c in COUNTED if c[0] == child]
            moved = " OR ".join(f"OLD.{c[1]} IS DISTINCT FROM NEW.{c[1]}" for c in counted)
            down = "; ".join(_step(p, col, "OLD", cc, "-") for _, cc, p, col in counted)
            up = "; ".join(_step(p, col, "NEW", cc, "+") for _, cc, p, col in counted)
            op.execute(
                f"CREATE FUNCTION count_{child}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'UPDATE' AND NOT ({moved}) THEN RETURN NULL; END IF; "
                f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {down}; END IF; "
                f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {up}; END IF; "
                "RETURN NULL; END $$"
            )
            columns = ", ".join(c[1] for c in counted)
            op.execute(
                f"CREATE TRIGGER {child}_counted AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {child} "
                f"FOR EACH ROW EXECUTE FUNCTION count_{child}()"
            )
        return
    for child, child_column, parent, column in COUNTED:
        name = f"{child}_{child_column}_counted"
        op.execute(
            f"CREATE TRIGGER {name}_on_insert AFTER INSERT ON {child} "
            f"BEGIN {_step(parent, column, 'NEW', child_column, '+')}; END"
        )
        op.execute(
            f"CREATE TRIGGER {name}_on_delete AFTER DELETE ON {child} "
            f"BEGIN {_step(parent, column, 'OLD', child_column, '-')}; END"
        )
        op.execute(
            f"CREATE TRIGGER {name}_on_move AFTER UPDATE OF {child_column} ON {child} "
            f"WHEN OLD.{child_column} IS NOT NEW.{child_column} "
            f"BEGIN {_step(parent, column, 'OLD', child_column, '-')}; "
            f"{_step(parent, column, 'NEW', child_column, '+')}; END"
        )


def _drop_counters() -> None:
    if _postgres():
        for child in ("ballot", "rating"):
            op.execute(f"DROP TRIGGER {child}_counted ON {child}")
            op.execute(f"DROP FUNCTION count_{child}()")
        return
    for child, child_column, _parent, _column in COUNTED:
        for event in ("insert", "delete", "move"):
            op.execute(f"DROP TRIGGER {child}_{child_column}_counted_on_{event}")


# ---- a viewing per night ------------------------------------------------------------------------------


def _split_shared_viewings() -> None:
    """A row that named a lottery and a poll (one movie, one day) becomes two: one per night."""
    shared = _run(
        "SELECT id, movie_id, watched_on, lottery_id, poll_id FROM viewing "
        "WHERE lottery_id IS NOT NULL AND poll_id IS NOT NULL"
    ).all()
    for viewing_id, movie_id, day, lottery_id, poll_id in shared:
        _run("UPDATE viewing SET poll_id = NULL WHERE id = :id", id=viewing_id)
        _run(
            "INSERT INTO viewing (movie_id, watched_on, lottery_id, poll_id) "
            "VALUES (:movie, :day, NULL, :poll)",
            movie=movie_id, day=day, poll=poll_id,
        )  # fmt: skip
        log.warning(
            "0011: the viewing of library movie #%s on %s was lottery %s's and poll %s's night: now one each",
            movie_id, day, lottery_id, poll_id,
        )  # fmt: skip


def _viewing_per_night() -> None:
    triggers = _sqlite_triggers("viewing")
    with op.batch_alter_table("viewing", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_viewing_movie_id_watched_on"), type_="unique")
    _split_shared_viewings()  # the second row of a day needs the old constraint gone; the CHECK needs it split
    with op.batch_alter_table("viewing", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_viewing_one_night"), "lottery_id IS NULL OR poll_id IS NULL"
        )
    _restore_sqlite_triggers("viewing", triggers)


def _index_hand_recorded_viewings() -> None:
    op.create_index(
        "uq_viewing_hand_recorded_day",
        "viewing",
        ["movie_id", "watched_on"],
        unique=True,
        sqlite_where=sa.text(HAND_RECORDED),
        postgresql_where=sa.text(HAND_RECORDED),
    )


# ---- one row per movie --------------------------------------------------------------------------------


def _fill_same_keys() -> None:
    for movie_id, name, year in _run("SELECT id, name, year FROM library_movie").all():
        _run("UPDATE library_movie SET same_key = :key WHERE id = :id", key=same_movie_key(name, year), id=movie_id)


def _merge_duplicates() -> None:
    """Oldest first (added_at, then id), each movie is kept or merged into an older kept one, by the rule:
    a movie without a Kinopoisk id merges into the oldest kept movie of its title and year; a movie with an
    id merges into the kept movie of its title and year that has none (it takes the id), and is kept when
    every kept one of its title and year has an id (another id: another movie)."""
    rows = _run("SELECT id, kinopoisk_id, same_key FROM library_movie ORDER BY added_at, id").all()
    kept: dict[str, list[list]] = {}  # same_key -> [[id, kinopoisk_id], ...] in age order
    for movie_id, kinopoisk_id, key in rows:
        same = kept.setdefault(key, [])
        if kinopoisk_id is None:
            into = same[0] if same else None
        else:
            into = next((k for k in same if k[1] is None), None)
        if into is None:
            same.append([movie_id, kinopoisk_id])
            continue
        _merge(movie_id, into[0])
        if into[1] is None and kinopoisk_id is not None:
            into[1] = kinopoisk_id


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _merge(gone: int, into: int) -> None:
    """Everything of library movie ``gone`` onto ``into`` (the older), then ``gone`` deleted; logged."""
    columns = (
        "id, name, year, kinopoisk_id, poster, description, rating, details, magnet, info_hash, "
        "status, excluded_until, favourite, added_at, updated_at"
    )
    old, new = (
        _run(f"SELECT {columns} FROM library_movie WHERE id = :id", id=movie_id).mappings().one()
        for movie_id in (into, gone)
    )
    said = []
    # Its viewings: a night moves as it is; a day recorded by hand that the kept movie has too is one day.
    moved = dropped = 0
    for viewing_id, day, lottery_id, poll_id in _run(
        "SELECT id, watched_on, lottery_id, poll_id FROM viewing WHERE movie_id = :id", id=gone
    ).all():
        if lottery_id is None and poll_id is None and _run(
            f"SELECT 1 FROM viewing WHERE movie_id = :id AND watched_on = :day AND {HAND_RECORDED}",
            id=into, day=day,
        ).first():  # fmt: skip
            _run("DELETE FROM viewing WHERE id = :id", id=viewing_id)
            dropped += 1
        else:
            _run("UPDATE viewing SET movie_id = :into WHERE id = :id", into=into, id=viewing_id)
            moved += 1
    said.append(f"{moved} viewings moved" + (f", {dropped} days it had twice dropped" if dropped else ""))
    # Its ratings: a night's stay unique by night; of a deleted night's, one per participant (the newest).
    ratings = _run("UPDATE rating SET movie_id = :into WHERE movie_id = :id", into=into, id=gone).rowcount
    said.append(f"{ratings} ratings moved")
    orphans = _run(
        "SELECT id, participant FROM rating WHERE movie_id = :id AND lottery_id IS NULL AND poll_id IS NULL "
        "ORDER BY participant, rated_at DESC, id DESC",
        id=into,
    ).all()
    seen = set()
    for rating_id, participant in orphans:
        if participant in seen:
            _run("DELETE FROM rating WHERE id = :id", id=rating_id)
            said.append(f"an older rating by {participant[:8]}… of a deleted night dropped")
        seen.add(participant)
    # The torrent wish: the kept movie's stays; the other's moves when it has none.
    theirs = _run("SELECT id, kind, status FROM download WHERE movie_id = :id", id=gone).first()
    if theirs is not None:
        if _run("SELECT 1 FROM download WHERE movie_id = :id", id=into).first() is None:
            _run("UPDATE download SET movie_id = :into WHERE id = :id", into=into, id=theirs[0])
            said.append("its download wish moved")
        elif theirs[1] == "removal" and theirs[2] in STILL_GOING:
            _run("UPDATE download SET movie_id = NULL WHERE id = :id", id=theirs[0])  # the torrent still goes
            said.append("its pending removal kept without a movie")
        else:
            _run("DELETE FROM download WHERE id = :id", id=theirs[0])
            said.append(f"its {theirs[1]} wish ({theirs[2]}) dropped: the kept movie has one")
    # Details: the kept movie's, its blanks filled; the newest marks; «любимое» when either was.
    changes: dict = {}
    for field in ("poster", "description", "rating", "kinopoisk_id", "magnet", "info_hash"):
        if old[field] is None and new[field] is not None and not (field == "info_hash" and old["magnet"]):
            changes[field] = new[field]
    if "magnet" not in changes:
        changes.pop("info_hash", None)
    details = {**(_json(new["details"]) or {}), **(_json(old["details"]) or {})}
    if details != (_json(old["details"]) or {}):
        changes["details"] = json.dumps(details, ensure_ascii=False)
    newest = new if str(new["updated_at"]) > str(old["updated_at"]) else old
    if (newest["status"], newest["excluded_until"]) != (old["status"], old["excluded_until"]):
        changes["status"], changes["excluded_until"] = newest["status"], newest["excluded_until"]
    if new["favourite"] and not old["favourite"]:
        changes["favourite"] = True
    if changes.keys() & {"kinopoisk_id", "info_hash"}:  # unique: free them first
        _run("UPDATE library_movie SET kinopoisk_id = NULL, info_hash = NULL, magnet = NULL WHERE id = :id", id=gone)
    if changes:
        assignments = ", ".join(f"{field} = :{field}" for field in changes)
        _run(f"UPDATE library_movie SET {assignments} WHERE id = :id", id=into, **changes)
        said.append("took " + ", ".join(sorted(changes)))
    _run("DELETE FROM library_movie WHERE id = :id", id=gone)
    log.warning(
        "0011: library movie #%s «%s» (%s) was a copy of #%s «%s» (%s) and is merged into it: %s",
        gone, new["name"], new["year"] or "no year", into, old["name"], old["year"] or "no year",
        "; ".join(said),
    )  # fmt: skip


def _keep_movies_once() -> None:
    if _postgres():
        op.execute(
            "CREATE FUNCTION keep_library_movie_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            # Two writers of one title wait here for each other; the second then sees what the first stored.
            "PERFORM pg_advisory_xact_lock(hashtextextended('library_movie ' || NEW.same_key, 0)); "
            "IF EXISTS (SELECT 1 FROM library_movie m WHERE m.same_key = NEW.same_key AND m.id <> NEW.id "
            "AND (NEW.kinopoisk_id IS NULL OR m.kinopoisk_id IS NULL)) THEN "
            "RAISE EXCEPTION 'this movie is in the library already: %', NEW.same_key "
            f"USING ERRCODE = 'unique_violation', CONSTRAINT = '{SAME_MOVIE}'; "
            "END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER library_movie_kept_once BEFORE INSERT OR UPDATE OF same_key, kinopoisk_id "
            "ON library_movie FOR EACH ROW EXECUTE FUNCTION keep_library_movie_once()"
        )
        return
    same = "m.same_key = NEW.same_key AND (NEW.kinopoisk_id IS NULL OR m.kinopoisk_id IS NULL)"
    refuse = f"SELECT RAISE(ABORT, '{SAME_MOVIE}: this movie is in the library already')"
    op.execute(
        "CREATE TRIGGER library_movie_kept_once_on_insert BEFORE INSERT ON library_movie "
        f"WHEN EXISTS (SELECT 1 FROM library_movie m WHERE {same}) BEGIN {refuse}; END"
    )
    op.execute(
        "CREATE TRIGGER library_movie_kept_once_on_update BEFORE UPDATE OF same_key, kinopoisk_id "
        f"ON library_movie WHEN EXISTS (SELECT 1 FROM library_movie m WHERE {same} AND m.id <> NEW.id) "
        f"BEGIN {refuse}; END"
    )


def _movie_per_row() -> None:
    triggers = _sqlite_triggers("library_movie")
    with op.batch_alter_table("library_movie", schema=None) as batch_op:
        batch_op.add_column(sa.Column("same_key", sa.Text(), server_default="", nullable=False))
    _restore_sqlite_triggers("library_movie", triggers)
    _fill_same_keys()
    _merge_duplicates()
    with op.batch_alter_table("library_movie", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_movie_same_key"), ["same_key"], unique=False)
    op.create_index(
        "uq_library_movie_same_key_without_id",
        "library_movie",
        ["same_key"],
        unique=True,
        sqlite_where=sa.text("kinopoisk_id IS NULL"),
        postgresql_where=sa.text("kinopoisk_id IS NULL"),
    )
    _keep_movies_once()


def upgrade():
    _viewing_per_night()
    _movie_per_row()
    _index_hand_recorded_viewings()
    _add_caps()


def downgrade():
    _drop_counters()
    for table, columns in (("poll", ("ballot_count", "rating_count")), ("lottery", ("rating_count",))):
        triggers = _sqlite_triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                name = column.replace("_count", "s") + "_within_cap"
                batch_op.drop_constraint(batch_op.f(f"ck_{table}_{name}"), type_="check")
            for column in columns:
                batch_op.drop_column(column)
        _restore_sqlite_triggers(table, triggers)

    if _postgres():
        op.execute("DROP TRIGGER library_movie_kept_once ON library_movie")
        op.execute("DROP FUNCTION keep_library_movie_once()")
    else:
        op.execute("DROP TRIGGER library_movie_kept_once_on_insert")
        op.execute("DROP TRIGGER library_movie_kept_once_on_update")
    op.drop_index("uq_library_movie_same_key_without_id", table_name="library_movie")
    triggers = _sqlite_triggers("library_movie")
    with op.batch_alter_table("library_movie", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_movie_same_key"))
        batch_op.drop_column("same_key")
    _restore_sqlite_triggers("library_movie", triggers)

    # The older schema holds one viewing per movie and day: of several, the first stays (merges are kept).
    op.drop_index("uq_viewing_hand_recorded_day", table_name="viewing")
    _run(
        "DELETE FROM viewing WHERE EXISTS (SELECT 1 FROM viewing earlier WHERE earlier.movie_id = viewing.movie_id "
        "AND earlier.watched_on = viewing.watched_on AND earlier.id < viewing.id)"
    )
    triggers = _sqlite_triggers("viewing")
    with op.batch_alter_table("viewing", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_viewing_one_night"), type_="check")
        batch_op.create_unique_constraint(batch_op.f("uq_viewing_movie_id_watched_on"), ["movie_id", "watched_on"])
    _restore_sqlite_triggers("viewing", triggers)
