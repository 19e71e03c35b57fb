"""full-text search: FTS5 indexes kept by triggers on SQLite, generated tsvector columns on PostgreSQL

Revision ID: 0004
Revises: 0003

SQLite: `updates_fts` and `initiatives_fts` are external-content FTS5 tables over `updates` and
`initiatives` (same rowids), so the text is stored once; triggers keep them in step. A batch
migration that recreates `updates` or `initiatives` drops these triggers: recreate them after it.
PostgreSQL: a stored generated `search_vector` on each table with a GIN index; config 'simple' over
`emwp_fold(text)`, which lower-cases and removes diacritics with the unaccent extension when the
database lets us create it (it is a trusted extension), and only lower-cases otherwise.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "unicode61 remove_diacritics 2"
# table -> (FTS5 table, indexed columns)
SQLITE_INDEXES = {
    "updates": ("updates_fts", ("text",)),
    "initiatives": ("initiatives_fts", ("title", "ref", "lead", "notes", "funding")),
}
FOLD_UNACCENT = (
    "CREATE OR REPLACE FUNCTION emwp_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$"
)
FOLD_LOWER = (
    "CREATE OR REPLACE FUNCTION emwp_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT lower($1) $$"
)
PG_VECTORS = {
    "updates": "to_tsvector('simple'::regconfig, emwp_fold(coalesce(\"text\", '')))",
    "initiatives": " || ".join(
        f"setweight(to_tsvector('simple'::regconfig, emwp_fold(coalesce({column}, ''))), '{weight}')"
        for column, weight in (("title", "A"), ("ref", "A"), ("lead", "B"), ("notes", "C"), ("funding", "C"))
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_fold_function()
        for table, vector in PG_VECTORS.items():
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")
        return
    for table, (fts, columns) in SQLITE_INDEXES.items():
        _sqlite_index(table, fts, columns)


def _pg_fold_function() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
            op.execute(FOLD_UNACCENT)
    except Exception:  # no right to create the extension: search still works, accents then count
        op.execute(FOLD_LOWER)


def _sqlite_index(table: str, fts: str, columns: tuple[str, ...]) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    # Only the constants above are formatted into these statements.
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"  # noqa: S608
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"  # noqa: S608
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        f"tokenize='{TOKENIZE}')"
    )
    op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF id, {names} ON {table} BEGIN {delete} {insert} END"
    )
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PG_VECTORS:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP FUNCTION IF EXISTS emwp_fold(text)")
        return
    for fts, _ in SQLITE_INDEXES.values():
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
