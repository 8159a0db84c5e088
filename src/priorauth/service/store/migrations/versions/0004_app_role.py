"""PostgreSQL: a role for the service that may read and append but not change the schema, drop a trigger or
TRUNCATE. The user that runs the migrations owns the tables; the service logs in as a member of `priorauth_app`
(`PRIORAUTH_APP_ROLE` names it otherwise), so an attacker holding the service's credentials cannot undo the
append-only triggers. See README, "Running on PostgreSQL".

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import os
import re

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APPEND_ONLY = ("case_revisions", "determinations", "reviews", "audit_events", "fhir_bundles")
UPDATED = ("users", "cases", "fhir_requests", "fhir_identifiers", "fhir_subscriptions", "audit_head")
DELETED = ("idempotency_keys",)  # an expired key is forgotten


def role_name() -> str:
    name = os.environ.get("PRIORAUTH_APP_ROLE", "").strip() or "priorauth_app"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise RuntimeError(f"PRIORAUTH_APP_ROLE: not a plain role name: {name!r}")
    return name


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    role = role_name()
    # Creating a role needs CREATEROLE; without it the grants go to a role the DBA made beforehand, if any.
    op.execute(f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            BEGIN CREATE ROLE {role} NOLOGIN;
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot create role {role}: ask a DBA to create it, then migrate again';
            END;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            GRANT SELECT, INSERT ON {", ".join(APPEND_ONLY)} TO {role};
            GRANT SELECT, INSERT, UPDATE ON {", ".join(UPDATED)} TO {role};
            GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(DELETED)} TO {role};
            GRANT SELECT ON alembic_version TO {role};
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
            REVOKE CREATE ON SCHEMA public FROM {role};
        END IF;
    END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    role = role_name()
    tables = ", ".join((*APPEND_ONLY, *UPDATED, *DELETED, "alembic_version"))
    op.execute(f"""DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            REVOKE ALL ON {tables} FROM {role};
            REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role};
        END IF;
    END $$""")
