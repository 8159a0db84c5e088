"""The FHIR API's store: each PAS request (by its Claim identifier) with every Bundle received for it, and the
subscriptions to notify when a pended request is decided.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "fhir_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("org", sa.String(100), index=True),
        sa.Column("identifier", sa.String(500), nullable=False),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id")),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("org", "identifier", name="fhir_requests_org_identifier"),
    )
    op.create_table(
        "fhir_identifiers",
        sa.Column("org", sa.String(100), primary_key=True),
        sa.Column("identifier", sa.String(500), primary_key=True),
        sa.Column("request_id", sa.String(32), sa.ForeignKey("fhir_requests.id"), nullable=False, index=True),
    )
    op.create_table(
        "fhir_bundles",
        sa.Column("request_id", sa.String(32), sa.ForeignKey("fhir_requests.id"), primary_key=True),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _ts("created_at"),
    )
    op.create_table(
        "fhir_subscriptions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("org", sa.String(100), index=True),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("header", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _ts("created_at"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER fhir_bundles_no_{event.lower()} BEFORE {event} ON fhir_bundles "
                       "BEGIN SELECT RAISE(ABORT, 'fhir_bundles rows are immutable'); END")
    elif dialect == "postgresql":
        op.execute("CREATE TRIGGER fhir_bundles_immutable BEFORE UPDATE OR DELETE ON fhir_bundles "
                   "FOR EACH ROW EXECUTE FUNCTION priorauth_immutable()")


def downgrade() -> None:
    for table in ("fhir_subscriptions", "fhir_bundles", "fhir_identifiers", "fhir_requests"):
        op.drop_table(table)
