"""The town hall's receiving end: a Starlette app (``sync.server.app``) over a narrow storage
interface (``sync.server.storage``), SQLite by default."""
