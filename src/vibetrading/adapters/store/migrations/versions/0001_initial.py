"""Create the initial schema: users, strategies, chats, jobs, backtests, paper trading.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 14:21:48.472503
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# JSON documents: JSONB on PostgreSQL (GIN-indexable), JSON elsewhere.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_cache",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", JSON_DOC, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_market_cache")),
    )
    op.create_index(op.f("ix_market_cache_expires_at"), "market_cache", ["expires_at"])

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("family_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auth_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_tokens_token_hash")),
    )
    op.create_index(op.f("ix_auth_tokens_family_id"), "auth_tokens", ["family_id"])
    op.create_index(op.f("ix_auth_tokens_user_id"), "auth_tokens", ["user_id"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("payload", JSON_DOC, nullable=False),
        sa.Column("result", JSON_DOC, nullable=True),
        sa.Column("error", JSON_DOC, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_state_created_at"), "jobs", ["state", "created_at"])
    op.create_index(op.f("ix_jobs_user_id_created_at"), "jobs", ["user_id", "created_at"])

    op.create_table(
        "paper_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("market", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("starting_cash", sa.Float(), nullable=False),
        sa.Column("cash", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_paper_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_accounts")),
    )
    op.create_index(
        op.f("ix_paper_accounts_user_id_created_at"), "paper_accounts", ["user_id", "created_at"]
    )

    op.create_table(
        "research_summaries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=False),
        sa.Column("meta", JSON_DOC, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_research_summaries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_summaries")),
    )
    op.create_index(
        op.f("ix_research_summaries_user_id_created_at"),
        "research_summaries",
        ["user_id", "created_at"],
    )
    op.create_index(
        op.f("ix_research_summaries_user_id_symbol"), "research_summaries", ["user_id", "symbol"]
    )

    op.create_table(
        "strategies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_strategies_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
    )
    op.create_index(
        op.f("ix_strategies_user_id_created_at"), "strategies", ["user_id", "created_at"]
    )
    op.create_index(
        op.f("ix_strategies_user_id_updated_at"), "strategies", ["user_id", "updated_at"]
    )

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("strategy_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_conversations_strategy_id_strategies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_conversations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index(op.f("ix_conversations_strategy_id"), "conversations", ["strategy_id"])
    op.create_index(
        op.f("ix_conversations_user_id_updated_at"), "conversations", ["user_id", "updated_at"]
    )

    op.create_table(
        "equity_snapshots",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("cash", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["paper_accounts.id"],
            name=op.f("fk_equity_snapshots_account_id_paper_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "timestamp", name=op.f("pk_equity_snapshots")),
    )
    op.create_table(
        "paper_orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("time_in_force", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("limit_price", sa.Float(), nullable=True),
        sa.Column("stop_price", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("filled_quantity", sa.Float(), nullable=False),
        sa.Column("average_price", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["paper_accounts.id"],
            name=op.f("fk_paper_orders_account_id_paper_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_orders")),
        sa.UniqueConstraint(
            "account_id", "client_order_id", name=op.f("uq_paper_orders_account_id_client_order_id")
        ),
    )
    op.create_index(
        op.f("ix_paper_orders_account_id_created_at"), "paper_orders", ["account_id", "created_at"]
    )
    op.create_index(
        op.f("ix_paper_orders_account_id_status"), "paper_orders", ["account_id", "status"]
    )

    op.create_table(
        "paper_positions",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("average_price", sa.Float(), nullable=False),
        sa.Column("bought_today", sa.Float(), nullable=False),
        sa.Column("realized_pnl", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["paper_accounts.id"],
            name=op.f("fk_paper_positions_account_id_paper_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "symbol", name=op.f("pk_paper_positions")),
    )
    op.create_table(
        "strategy_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("strategy_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", JSON_DOC, nullable=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_strategy_versions_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_versions")),
        sa.UniqueConstraint(
            "strategy_id", "version", name=op.f("uq_strategy_versions_strategy_id_version")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            op.f("ix_strategy_versions_spec"), "strategy_versions", ["spec"], postgresql_using="gin"
        )

    op.create_table(
        "backtest_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("strategy_id", sa.String(length=32), nullable=True),
        sa.Column("strategy_version_id", sa.String(length=32), nullable=True),
        sa.Column("request", JSON_DOC, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", JSON_DOC, nullable=False),
        sa.Column("error", JSON_DOC, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_backtest_runs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_backtest_runs_strategy_id_strategies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_version_id"],
            ["strategy_versions.id"],
            name=op.f("fk_backtest_runs_strategy_version_id_strategy_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_backtest_runs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtest_runs")),
    )
    op.create_index(op.f("ix_backtest_runs_job_id"), "backtest_runs", ["job_id"])
    op.create_index(op.f("ix_backtest_runs_strategy_id"), "backtest_runs", ["strategy_id"])
    op.create_index(
        op.f("ix_backtest_runs_strategy_version_id"), "backtest_runs", ["strategy_version_id"]
    )
    op.create_index(
        op.f("ix_backtest_runs_user_id_created_at"), "backtest_runs", ["user_id", "created_at"]
    )

    op.create_table(
        "paper_fills",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("commission", sa.Float(), nullable=False),
        sa.Column("fees", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["paper_accounts.id"],
            name=op.f("fk_paper_fills_account_id_paper_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["paper_orders.id"],
            name=op.f("fk_paper_fills_order_id_paper_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_fills")),
    )
    op.create_index(
        op.f("ix_paper_fills_account_id_timestamp"), "paper_fills", ["account_id", "timestamp"]
    )
    op.create_index(op.f("ix_paper_fills_order_id"), "paper_fills", ["order_id"])

    op.create_table(
        "paper_runners",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("strategy_id", sa.String(length=32), nullable=False),
        sa.Column("strategy_version_id", sa.String(length=32), nullable=True),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("feed", sa.String(length=8), nullable=False),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.DateTime(timezone=True), nullable=True),
        sa.Column("params", JSON_DOC, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["paper_accounts.id"],
            name=op.f("fk_paper_runners_account_id_paper_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_paper_runners_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_version_id"],
            ["strategy_versions.id"],
            name=op.f("fk_paper_runners_strategy_version_id_strategy_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_runners")),
    )
    op.create_index(op.f("ix_paper_runners_account_id"), "paper_runners", ["account_id"])
    op.create_index(op.f("ix_paper_runners_status"), "paper_runners", ["status"])
    op.create_index(op.f("ix_paper_runners_strategy_id"), "paper_runners", ["strategy_id"])

    op.create_table(
        "backtest_results",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("stats", JSON_DOC, nullable=False),
        sa.Column("meta", JSON_DOC, nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["backtest_runs.id"],
            name=op.f("fk_backtest_results_run_id_backtest_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_backtest_results")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("spec", JSON_DOC, nullable=True),
        sa.Column("backtest_run_id", sa.String(length=32), nullable=True),
        sa.Column("meta", JSON_DOC, nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["backtest_run_id"],
            ["backtest_runs.id"],
            name=op.f("fk_messages_backtest_run_id_backtest_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("conversation_id", "seq", name=op.f("uq_messages_conversation_id_seq")),
    )
    op.create_index(op.f("ix_messages_backtest_run_id"), "messages", ["backtest_run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_backtest_run_id"), table_name="messages")

    op.drop_table("messages")
    op.drop_table("backtest_results")
    op.drop_index(op.f("ix_paper_runners_strategy_id"), table_name="paper_runners")
    op.drop_index(op.f("ix_paper_runners_status"), table_name="paper_runners")
    op.drop_index(op.f("ix_paper_runners_account_id"), table_name="paper_runners")

    op.drop_table("paper_runners")
    op.drop_index(op.f("ix_paper_fills_order_id"), table_name="paper_fills")
    op.drop_index(op.f("ix_paper_fills_account_id_timestamp"), table_name="paper_fills")

    op.drop_table("paper_fills")
    op.drop_index(op.f("ix_backtest_runs_user_id_created_at"), table_name="backtest_runs")
    op.drop_index(op.f("ix_backtest_runs_strategy_version_id"), table_name="backtest_runs")
    op.drop_index(op.f("ix_backtest_runs_strategy_id"), table_name="backtest_runs")
    op.drop_index(op.f("ix_backtest_runs_job_id"), table_name="backtest_runs")

    op.drop_table("backtest_runs")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(op.f("ix_strategy_versions_spec"), table_name="strategy_versions")

    op.drop_table("strategy_versions")
    op.drop_table("paper_positions")
    op.drop_index(op.f("ix_paper_orders_account_id_status"), table_name="paper_orders")
    op.drop_index(op.f("ix_paper_orders_account_id_created_at"), table_name="paper_orders")

    op.drop_table("paper_orders")
    op.drop_table("equity_snapshots")
    op.drop_index(op.f("ix_conversations_user_id_updated_at"), table_name="conversations")
    op.drop_index(op.f("ix_conversations_strategy_id"), table_name="conversations")

    op.drop_table("conversations")
    op.drop_index(op.f("ix_strategies_user_id_updated_at"), table_name="strategies")
    op.drop_index(op.f("ix_strategies_user_id_created_at"), table_name="strategies")

    op.drop_table("strategies")
    op.drop_index(op.f("ix_research_summaries_user_id_symbol"), table_name="research_summaries")
    op.drop_index(op.f("ix_research_summaries_user_id_created_at"), table_name="research_summaries")

    op.drop_table("research_summaries")
    op.drop_index(op.f("ix_paper_accounts_user_id_created_at"), table_name="paper_accounts")

    op.drop_table("paper_accounts")
    op.drop_index(op.f("ix_jobs_user_id_created_at"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_state_created_at"), table_name="jobs")

    op.drop_table("jobs")
    op.drop_index(op.f("ix_auth_tokens_user_id"), table_name="auth_tokens")
    op.drop_index(op.f("ix_auth_tokens_family_id"), table_name="auth_tokens")

    op.drop_table("auth_tokens")
    op.drop_table("users")
    op.drop_index(op.f("ix_market_cache_expires_at"), table_name="market_cache")

    op.drop_table("market_cache")
