"""The syntax of every CalmDesk id (store, device, situation), in a module with no imports, so
light tools (topics, ``calmdesk alert``) can check ids without loading pydantic."""

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"
