"""Alembic environment, run through Flask-Migrate (``timebank db ...``)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from timebank.db import UTCDateTime, described_by_models

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


def get_metadata():
    return target_db.metadatas[None]


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy ones, so migrations never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # an autogenerate that finds no change writes no empty migration
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("include_name", described_by_models)
    # both engines run DDL inside the transaction (SQLite too, as we issue BEGIN ourselves)
    conf_args.setdefault("transactional_ddl", True)

    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
