-- Privileges of the district server's database (run by setup-postgres.sh, as the owner, after
-- `rathaus database migrate`; running it again changes nothing).
--
-- rathaus_admin  owns the schema: runs the migrations, approves and revokes kiosks
--                (`rathaus keys approve/revoke`), makes and restores backups. Used by IT only.
-- rathaus_server the server and the staff inbox: store batches and uploads, read and answer
--                applications. It may READ the approved kiosks but never write them, so a server
--                taken over cannot enrol a kiosk of its own or lift a revocation: the database's
--                counterpart of keys/ being read-only to a single town's server.

DO $$
BEGIN
    CREATE ROLE rathaus_server LOGIN;
EXCEPTION WHEN duplicate_object OR insufficient_privilege THEN NULL;  -- made by setup-postgres.sh
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO rathaus_server;

-- Applications and answers: added and read, opened/exported marked; never deleted by the server.
GRANT SELECT, INSERT, UPDATE ON batches, items TO rathaus_server;
GRANT SELECT, INSERT ON status_updates TO rathaus_server;
-- Half-finished uploads: the server's own scratch space.
GRANT SELECT, INSERT, UPDATE, DELETE ON uploads, upload_chunks, finished_uploads TO rathaus_server;
-- Trust and schema: read only.
GRANT SELECT ON kiosk_approvals, schema_migrations TO rathaus_server;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON kiosk_approvals, schema_migrations FROM rathaus_server;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO rathaus_server;
