import GRDB

// The third edition's migrations: wrap-up, working hours, transfer, the audit's door, and
// what the what-if replay reads. As every migration, never changed once shipped.
extension Schema {
    static func registerThirdEdition(_ migrator: inout DatabaseMigrator) {
        // Wrap-up. `wrap_up_until` is the request's (its shape shows it for good);
        // `wrap_up_due` is the deadline, set while the slot is held and cleared when it is
        // given back, so its partial indexes hold only the wrap-ups running.
        migrator.registerMigration("v16-wrap-up") { db in
            try db.execute(sql: """
                ALTER TABLE sources ADD COLUMN wrap_up_seconds INTEGER NOT NULL DEFAULT 0
                    CHECK (wrap_up_seconds BETWEEN 0 AND 3600);
                ALTER TABLE requests ADD COLUMN wrap_up_until INTEGER;
                ALTER TABLE requests ADD COLUMN wrap_up_due INTEGER;
                CREATE INDEX requests_wrap_up_due ON requests(wrap_up_due) WHERE wrap_up_due IS NOT NULL;
                CREATE INDEX requests_wrap_up_operator ON requests(operator_id, wrap_up_due) WHERE wrap_up_due IS NOT NULL;
                """)
        }
        // Working hours. `hours` is JSON text (NULL: always open). `opens_at` is the opening
        // an after-hours request waited for: escalation, relax times and the service level
        // count from it.
        migrator.registerMigration("v17-working-hours") { db in
            try db.execute(sql: """
                ALTER TABLE sources ADD COLUMN hours TEXT;
                ALTER TABLE requests ADD COLUMN opens_at INTEGER;
                """)
        }
        // Transfer. `first_assigned_at` is the first assignment, which the service level
        // measures (NULL on rows from before: their `assigned_at` is it); `transferred_from`
        // is the operator a request left by a transfer, kept from it until someone takes it.
        migrator.registerMigration("v18-transfer") { db in
            try db.execute(sql: """
                ALTER TABLE requests ADD COLUMN transfer_count INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE requests ADD COLUMN first_assigned_at INTEGER;
                ALTER TABLE requests ADD COLUMN transferred_from INTEGER;
                """)
        }
        // The door a command came in by: `amqp` (the control queue) or `http` (the HTTP API).
        migrator.registerMigration("v19-audit-via") { db in
            try db.execute(sql: "ALTER TABLE audit ADD COLUMN via TEXT NOT NULL DEFAULT 'amqp'")
        }
        // Every change of presence, for the what-if replay; kept as long as the audit trail.
        migrator.registerMigration("v20-presence-changes") { db in
            try db.execute(sql: """
                CREATE TABLE presence_changes (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    operator_id INTEGER NOT NULL,
                    presence TEXT NOT NULL,
                    previous TEXT,
                    reason TEXT NOT NULL
                );
                CREATE INDEX presence_changes_at ON presence_changes(at);
                """)
        }
        // Each change of an operator's or a source's settings (limits, skills, weights,
        // hours, ...), the whole of it before and after as JSON: the what-if replay sets the
        // floor back to how it stood at a window's start, then changes it as it changed.
        migrator.registerMigration("v21-setting-changes") { db in
            try db.execute(sql: """
                CREATE TABLE setting_changes (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    subject TEXT NOT NULL,
                    subject_id INTEGER NOT NULL,
                    before TEXT NOT NULL,
                    after TEXT NOT NULL
                );
                CREATE INDEX setting_changes_at ON setting_changes(at);
                """)
        }
    }
}
