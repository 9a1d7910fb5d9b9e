"""PostgreSQL: the app runs as a role that does not own the tables.

A table's owner can do anything to it, including `ALTER TABLE audit_event DISABLE TRIGGER` or
`DROP TRIGGER`, which would let it change the audit log the triggers of migration 002 guard. So
an owner role owns the tables and runs `migrate`; the app runs as another role, given here only
what it uses: reading and writing the tables, but on `audit_event` only SELECT and INSERT, and on
the migration history only SELECT. Only an owner (or a superuser) may alter a table or its
triggers, and this role is neither.
"""

from __future__ import annotations

import re

from peewee import PostgresqlDatabase

from .models import db

# A role name as PostgreSQL writes it unquoted (we quote it anyway).
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RoleError(Exception):
    """The role cannot be given the app's grants; the message says why."""


def _statements(role: str) -> list[str]:
    quoted = f'"{role}"'
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE ON audit_event FROM {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE ON migratehistory FROM {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        # Tables a later migration adds (run as this same owner) are usable without a new grant.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES "
        f"TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ]


def grant_app_role(role: str) -> None:
    """Give `role` the app's grants. Run as the owner of the tables, after migrating."""
    if not isinstance(db.obj, PostgresqlDatabase):
        raise RoleError("This is for PostgreSQL only. With SQLite, keep the instance folder "
                        "readable by the user the app runs as only.")
    if not ROLE_NAME.fullmatch(role):
        raise RoleError(f"{role!r} is not a role name this command accepts (lower-case letters, "
                        "digits and underscores).")
    found = db.execute_sql("SELECT rolsuper, rolname = current_user FROM pg_roles "
                           "WHERE rolname = %s", (role,)).fetchone()
    if found is None:
        raise RoleError(f"There is no role {role}: create it first (CREATE ROLE {role} LOGIN "
                        "PASSWORD '...').")
    superuser, is_me = found
    if superuser:
        raise RoleError(f"{role} is a superuser, which may alter any table: the app must run "
                        "as an ordinary role.")
    if is_me:
        raise RoleError(f"{role} is the role running this command: run it as the owner of the "
                        "tables, naming the app's own role.")
    owner = db.execute_sql("SELECT tableowner = current_user, tableowner = %s FROM pg_tables "
                           "WHERE schemaname = 'public' AND tablename = 'audit_event'",
                           (role,)).fetchone()
    if owner is None:
        raise RoleError("There is no audit_event table: run `migrate` first.")
    if owner[1]:
        raise RoleError(f"{role} owns the tables: the owner may alter the audit log's guard. "
                        "Create a separate role for the app.")
    if not owner[0]:
        raise RoleError("Run this as the owner of the tables (DATABASE_URL naming the owner).")
    with db.atomic():
        for statement in _statements(role):
            db.execute_sql(statement)
