"""The hub's database: typed SQLAlchemy 2.x models, engine set-up and Alembic migrations.

Only the hub imports this package; tablets never carry SQLAlchemy.
"""
