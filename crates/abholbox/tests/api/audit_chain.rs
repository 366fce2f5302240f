//! The audit log's chain: intact after real work, and broken exactly where an entry was edited,
//! deleted or moved.

use abholbox_service::audit::AuditVerdict;

use crate::helpers::{Db, TestApp};

/// An installation with some history, every entry chained, the server stopped.
async fn history(dir: &std::path::Path) -> (abholbox::Config, Db) {
    let app = TestApp::spawn(dir).await;
    for n in 0..3 {
        let id = app.register(&format!("AU-{n}"), &format!("0151 234567{n:02}"), "1970-01-01", None).await;
        app.deposit(&id).await;
    }
    // The server's own chaining job may get there first; either way every entry ends up chained.
    for _ in 0..100 {
        app.service.chain_audit().await.unwrap();
        if app.db.number("SELECT COUNT(*) FROM audit_log WHERE link IS NULL").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(app.db.number("SELECT COUNT(*) FROM audit_log WHERE link IS NOT NULL").await >= 6);
    let (config, db) = (app.config.clone(), app.db.clone());
    app.stop().await;
    (config, db)
}

/// Runs statements as someone with write access to the database would, triggers out of the way.
async fn tamper(db: &Db, sql: &str) {
    let unguard = match db {
        Db::Sqlite(_) => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Db::Postgres(_) => "DROP TRIGGER audit_log_no_change ON audit_log;",
    };
    db.execute(&format!("{unguard} {sql}")).await;
}

/// Whether the database refuses a statement run from outside the server, its triggers in place.
async fn refused(db: &Db, sql: &str) -> bool {
    use sqlx::Connection;
    match db {
        Db::Sqlite(_) => {
            let mut c = sqlx::SqliteConnection::connect(&db.url()).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut c).await.is_err()
        }
        Db::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut c).await.is_err()
        }
    }
}

async fn verdict(config: &abholbox::Config) -> AuditVerdict {
    abholbox::verify_audit_log(config).await.unwrap()
}

#[tokio::test]
async fn the_chain_holds_after_real_work_and_names_the_first_edited_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = history(dir.path()).await;
    let entries = db.number("SELECT COUNT(*) FROM audit_log").await;
    match verdict(&config).await {
        AuditVerdict::Intact { chained, unchained, head } => {
            assert_eq!((chained, unchained), (entries, 0));
            assert_eq!(head.map(|(p, link)| (p, link.len())), Some((entries, 64)));
        }
        broken => panic!("{broken:?}"),
    }
    tamper(&db, "UPDATE audit_log SET actor = 'someone else' WHERE position = 4").await;
    let AuditVerdict::Broken { position, reason, .. } = verdict(&config).await else { panic!("not detected") };
    assert_eq!((position, reason), (4, "it was altered, moved, or the entry before it was"));
}

/// A stop chains what the last round of the job left: the log of a stopped server is chained to its
/// end, however soon after its last request it stopped.
#[tokio::test]
async fn a_stopped_server_leaves_no_entry_unchained() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let id = app.register("AU-STOP", "0151 23456700", "1970-01-01", None).await;
    app.deposit(&id).await;
    let config = app.config.clone();
    app.stop().await;
    match verdict(&config).await {
        AuditVerdict::Intact { chained, unchained, .. } => assert_eq!((unchained, chained > 0), (0, true)),
        broken => panic!("{broken:?}"),
    }
}

#[tokio::test]
async fn a_deleted_entry_breaks_the_chain_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = history(dir.path()).await;
    tamper(&db, "DELETE FROM audit_log WHERE position = 3").await;
    let AuditVerdict::Broken { position, reason, .. } = verdict(&config).await else { panic!("not detected") };
    assert_eq!((position, reason), (4, "the entry before it is missing"));
}

#[tokio::test]
async fn reordered_entries_break_the_chain_where_they_were_moved() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = history(dir.path()).await;
    tamper(
        &db,
        "UPDATE audit_log SET position = -1 WHERE position = 2;
         UPDATE audit_log SET position = 2 WHERE position = 3;
         UPDATE audit_log SET position = 3 WHERE position = -1;",
    )
    .await;
    let AuditVerdict::Broken { position, .. } = verdict(&config).await else { panic!("not detected") };
    assert_eq!(position, 2);
}

#[tokio::test]
async fn a_row_written_into_the_log_without_the_key_is_named_and_never_chained() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = history(dir.path()).await;
    db.execute(
        "INSERT INTO audit_log (at, actor, action, object, detail)
         VALUES ('2026-11-29T20:35:20.000000Z', 'operator:mallory', 'unlocked', 'pu_x', '{}')",
    )
    .await;
    let AuditVerdict::Unsealed { id } = verdict(&config).await else { panic!("a forged row passes") };
    let app = TestApp::spawn(dir.path()).await;
    app.service.chain_audit().await.unwrap();
    app.stop().await;
    assert_eq!(verdict(&config).await, AuditVerdict::Unsealed { id }, "the chainer did not sign it");
    let forged = db.number(&format!("SELECT COUNT(*) FROM audit_log WHERE id = {id} AND link IS NULL")).await;
    assert_eq!(forged, 1);
}

#[tokio::test]
async fn entries_unchained_and_changed_are_not_signed_again() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = history(dir.path()).await;
    tamper(
        &db,
        "UPDATE audit_log SET position = NULL, link = NULL, link_key = NULL WHERE position >= 4;
         UPDATE audit_log SET actor = 'someone else' WHERE id = (SELECT MIN(id) FROM audit_log WHERE link IS NULL);",
    )
    .await;
    assert!(matches!(verdict(&config).await, AuditVerdict::Unsealed { .. }));
    let app = TestApp::spawn(dir.path()).await;
    app.service.chain_audit().await.unwrap();
    app.stop().await;
    assert!(matches!(verdict(&config).await, AuditVerdict::Unsealed { .. }), "the changed entry stays out");
}

#[tokio::test]
async fn another_key_file_is_refused_rather_than_calling_every_entry_altered() {
    let dir = tempfile::tempdir().unwrap();
    let (mut config, _) = history(dir.path()).await;
    let other = tempfile::tempdir().unwrap();
    config.key_file = Some(other.path().join("keys.json"));
    abholbox_service::secrets::KeyRing::load_or_create(config.key_file.as_ref().unwrap()).unwrap();
    let refused = abholbox::verify_audit_log(&config).await.unwrap_err().to_string();
    assert!(refused.contains("not the one this database's servers use"), "{refused}");
}

#[tokio::test]
async fn a_copy_of_an_entry_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = history(dir.path()).await;
    let copy = "INSERT INTO audit_log (at, actor, action, object, detail, seal_key, seal, nonce)
                SELECT at, actor, action, object, detail, seal_key, seal, nonce FROM audit_log WHERE position = 5";
    assert!(refused(&db, copy).await, "the database refuses a second row with the same seal");
    db.execute("DROP INDEX audit_log_seal").await;
    db.execute(copy).await;
    let AuditVerdict::Copied { id } = verdict(&config).await else { panic!("a copy passes") };
    let app = TestApp::spawn(dir.path()).await;
    app.service.chain_audit().await.unwrap();
    app.stop().await;
    assert_eq!(verdict(&config).await, AuditVerdict::Copied { id }, "chained or not, a copy is named");
}

/// Chaining sets an entry's position and link; nothing else may change with them, its nonce neither.
#[tokio::test]
async fn chaining_an_entry_cannot_change_its_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let (_, db) = history(dir.path()).await;
    let bytes = |hex: &str| match db {
        Db::Sqlite(_) => format!("x'{hex}'"),
        Db::Postgres(_) => format!("'\\x{hex}'::bytea"),
    };
    db.execute(&format!(
        "INSERT INTO audit_log (at, actor, action, object, detail, seal_key, seal, nonce)
         VALUES ('2026-11-29T20:35:20.000000Z', 'system', 'registered', 'pu_x', '{{}}', 'audit-1', {}, {})",
        bytes("0304"),
        bytes("05")
    ))
    .await;
    let chain = |nonce: &str| {
        format!(
            "UPDATE audit_log SET position = 100000, link_key = 'audit-1', link = {}, nonce = {nonce}
             WHERE nonce = {}",
            bytes("06"),
            bytes("05")
        )
    };
    assert!(refused(&db, &chain(&bytes("07"))).await, "the nonce changed with the link");
    assert!(!refused(&db, &chain(&bytes("05"))).await, "the same update keeping the nonce goes through");
}

#[tokio::test]
async fn a_forged_row_naming_an_unknown_key_is_a_forgery_not_a_key_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = history(dir.path()).await;
    let bytes = match db {
        Db::Sqlite(_) => "x'00'",
        Db::Postgres(_) => "'\\x00'::bytea",
    };
    db.execute(&format!(
        "INSERT INTO audit_log (at, actor, action, object, detail, seal_key, seal)
         VALUES ('2026-11-29T20:35:20.000000Z', 'operator:mallory', 'unlocked', 'pu_x', '{{}}', 'audit-9', {bytes})"
    ))
    .await;
    assert!(matches!(verdict(&config).await, AuditVerdict::Unsealed { .. }));
}
