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
    assert!(app.service.chain_audit().await.unwrap() >= 6);
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
