"""The tests' own PostgreSQL databases (tests/postgres.py): a migrated database given back to
the pool is, for the next test, exactly a fresh copy of the template."""

from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import sql

from .postgres import MigratedPool, _admin


def _state(url: str) -> tuple:
    """Every row of every table, and where each sequence stands."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "ORDER BY tablename")
            rows = {}
            for (table,) in cur.fetchall():
                cur.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table)))
                rows[table] = cur.fetchall()
            cur.execute("SELECT sequencename, last_value FROM pg_sequences "
                        "WHERE schemaname = 'public' ORDER BY 1")
            return rows, cur.fetchall()
    finally:
        conn.close()


def _write(url: str, *statements: str) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        conn.commit()
    finally:
        conn.close()


def test_a_database_given_back_is_as_a_fresh_copy_for_the_next_test(postgres_server,
                                                                     migrated_template):
    pool = MigratedPool(postgres_server, migrated_template)
    fresh = _state(f"{postgres_server}/{migrated_template}")
    name = pool.take()
    url = f"{postgres_server}/{name}"
    _write(url,
           "INSERT INTO breach_category (slug, label, safeguarding, restricted, material, "
           "position, active) VALUES ('extra', 'Extra', false, false, '', 99, true)",
           "DELETE FROM breach_category WHERE slug = 'commercial'")
    assert _state(url) != fresh
    left_open = psycopg2.connect(url)  # a connection the test forgot: ended, not waited for
    admin = _admin(postgres_server)
    try:
        pool.give_back(name, admin)
    finally:
        admin.close()
    with pytest.raises(psycopg2.OperationalError), left_open.cursor() as cur:
        cur.execute("SELECT 1")
    assert pool.free == [name]
    assert pool.take() == name  # reused, not copied again
    assert _state(url) == fresh


def test_a_database_whose_schema_a_test_changed_is_dropped_not_reused(postgres_server,
                                                                       migrated_template):
    pool = MigratedPool(postgres_server, migrated_template)
    name = pool.take()
    _write(f"{postgres_server}/{name}", "ALTER TABLE breach_category ADD COLUMN extra text")
    admin = _admin(postgres_server)
    try:
        pool.give_back(name, admin)
        with admin.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
            assert cur.fetchone() == (0,)
    finally:
        admin.close()
    assert pool.free == []
