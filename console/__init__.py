"""The CalmDesk console: a server-rendered web back office for store managers, safety officers
and auditors, reading the hub's database (or the chain's central one) through SQLAlchemy."""
