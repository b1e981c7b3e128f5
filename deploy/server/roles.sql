-- Privileges of the district server's database (run by setup-postgres.sh, as the owner, after
-- `rathaus database migrate`; running it again changes nothing).
--
-- rathaus_admin  owns the schema: runs the migrations, approves and revokes kiosks
--                (`rathaus keys approve/revoke`), makes and restores backups. Used by IT only.
-- rathaus_server the server: store batches and uploads, read and answer applications.
--                It may READ the approved kiosks but never write them, so a server
--                taken over cannot enrol a kiosk of its own or lift a revocation: the database's
--                counterpart of keys/ being read-only to a single town's server.
-- rathaus_staff  group of the towns' staff roles (staff_<town>): each sees only its own town
--                (row-level security, at the end of this file).

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
-- The last contact of each kiosk (for the staff workplace), noted on every accepted exchange.
GRANT SELECT, INSERT, UPDATE ON kiosk_contacts TO rathaus_server;
-- Half-finished uploads: the server's own scratch space.
GRANT SELECT, INSERT, UPDATE, DELETE ON uploads, upload_chunks, finished_uploads TO rathaus_server;
-- Trust and schema: read only.
GRANT SELECT ON kiosk_approvals, schema_migrations TO rathaus_server;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON kiosk_approvals, schema_migrations FROM rathaus_server;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO rathaus_server;

-- Staff of one town (their inbox on the town's own machine) log in as a role of their own,
-- staff_<town> (hyphens as underscores, e.g. staff_bad_bibra), member of rathaus_staff:
--   CREATE ROLE staff_tangerhuette LOGIN PASSWORD '...' IN ROLE rathaus_staff;
-- Row-level security lets such a role see and answer only its own town's rows, whatever it asks:
-- a town's staff machine taken over still cannot list another town's applications.
DO $$
BEGIN
    CREATE ROLE rathaus_staff NOLOGIN;
EXCEPTION WHEN duplicate_object OR insufficient_privilege THEN NULL;  -- made by setup-postgres.sh
END
$$;
GRANT USAGE ON SCHEMA public TO rathaus_staff;
GRANT SELECT ON batches, items, status_updates, kiosk_approvals, kiosk_contacts, schema_migrations TO rathaus_staff;
GRANT UPDATE (opened_at, exported_at, damaged) ON items TO rathaus_staff;
GRANT INSERT ON status_updates TO rathaus_staff;
-- Applications handed in on paper (the workplace records them): only under the kiosk "(paper)".
GRANT INSERT ON batches, items TO rathaus_staff;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO rathaus_staff;

ALTER TABLE batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE status_updates ENABLE ROW LEVEL SECURITY;
ALTER TABLE kiosk_approvals ENABLE ROW LEVEL SECURITY;
ALTER TABLE kiosk_contacts ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS rathaus_town ON batches;
DROP POLICY IF EXISTS rathaus_town ON items;
DROP POLICY IF EXISTS rathaus_town ON status_updates;
DROP POLICY IF EXISTS rathaus_town ON kiosk_approvals;
DROP POLICY IF EXISTS rathaus_town ON kiosk_contacts;
DROP POLICY IF EXISTS rathaus_paper_only ON batches;
DROP POLICY IF EXISTS rathaus_paper_only ON items;
-- The server serves every town; a staff role only its own. (The owner, rathaus_admin, is not bound.)
CREATE POLICY rathaus_town ON batches
    USING (current_user = 'rathaus_server' OR current_user = 'staff_' || replace(town, '-', '_'));
CREATE POLICY rathaus_town ON items
    USING (current_user = 'rathaus_server' OR current_user = 'staff_' || replace(town, '-', '_'));
CREATE POLICY rathaus_town ON status_updates
    USING (current_user = 'rathaus_server' OR current_user = 'staff_' || replace(town, '-', '_'));
CREATE POLICY rathaus_town ON kiosk_approvals
    USING (current_user = 'rathaus_server' OR current_user = 'staff_' || replace(town, '-', '_'));
CREATE POLICY rathaus_town ON kiosk_contacts
    USING (current_user = 'rathaus_server' OR current_user = 'staff_' || replace(town, '-', '_'));
-- What staff add is a paper application of their own town, never a kiosk's batch or item: a staff
-- machine taken over cannot slip in an application as if a kiosk had sent it.
CREATE POLICY rathaus_paper_only ON batches AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_user = 'rathaus_server' OR kiosk_id = '(paper)');
CREATE POLICY rathaus_paper_only ON items AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_user = 'rathaus_server' OR kiosk_id = '(paper)');
