//! The store conformance suite on PostgreSQL, each test in a schema of its own. Runs when
//! `ABHOLBOX_TEST_POSTGRES` names a database (`.ci/run` gives one); otherwise each test says it skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use abholbox_store::{Store, conformance};
use abholbox_store_postgres::PostgresStore;
use sqlx::Connection;

/// A fresh schema in the test database, and a store whose connections use it.
async fn fresh() -> Option<(PostgresStore, String, String)> {
    let Ok(url) = std::env::var("ABHOLBOX_TEST_POSTGRES") else {
        eprintln!("ABHOLBOX_TEST_POSTGRES is not set: skipped on PostgreSQL");
        return None;
    };
    let schema = format!("conf_{}", std::process::id()) + &format!("_{}", rand_suffix());
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("the test database answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut admin).await.unwrap();
    admin.close().await.unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let store = PostgresStore::open(&scoped, None, abholbox_store_postgres::DEFAULT_CONNECTIONS).await.unwrap();
    Some((store, url, schema))
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{}_{}", N.fetch_add(1, Ordering::SeqCst), nanos)
}

async fn drop_schema(url: &str, schema: &str) {
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&mut admin).await.unwrap();
    admin.close().await.unwrap();
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((store, url, schema)) = fresh().await else { return };
                conformance::$name(&store).await;
                store.close().await;
                drop_schema(&url, &schema).await;
            }
        )*
    };
}

conformance!(
    pickups_round_trip,
    every_field_of_a_pickup_updates,
    a_stale_write_loses,
    duplicates_are_named_conflicts,
    one_compartment_holds_one_document,
    compartment_states_move_conditionally,
    setup_again_keeps_compartment_state,
    the_audit_log_is_read_by_site,
    a_label_kept_by_a_compartment_in_use_is_a_named_conflict,
    labels_move_between_free_compartments,
    an_uncommitted_transaction_leaves_nothing,
    erasure_removes_what_is_personal,
    sealed_values_move_to_a_new_key,
    ended_pickups_are_pseudonymised_then_deleted,
    phone_lookup_finds_ready_pickups_of_one_box,
    sessions_round_trip,
    the_event_cursor_only_grows,
    the_outbox_leases_and_forgets,
    delivery_states_follow_the_gateway,
    two_claims_from_one_read_hand_over_once,
    panels_follow_the_configuration,
    retired_compartments_say_why,
    box_summaries_count_by_state,
    expiry_finds_what_is_due,
    never_loaded_opt_ins_are_found_by_age,
    unsent_messages_can_be_dropped,
    door_events_wait_until_applied,
    staff_accounts_count_failed_sign_ins,
    a_family_keeps_one_pin_while_it_opens_something,
    racing_family_documents_get_one_pin,
    racing_claims_hand_over_once,
    racing_reservations_take_a_compartment_once,
);

/// A process keeps to the pool size it was given, however many requests wait: together with the
/// other processes it must stay below the database's `max_connections`.
#[tokio::test]
async fn the_pool_keeps_to_its_size() {
    let Some((store, url, schema)) = fresh().await else { return };
    store.close().await;
    let name = format!("abholbox_pool_{}", rand_suffix());
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-c%20search_path%3D{schema}&application_name={name}");
    let store = std::sync::Arc::new(PostgresStore::open(&scoped, None, 3).await.unwrap());
    let (release, released) = tokio::sync::watch::channel(false);
    let mut holders = Vec::new();
    for _ in 0..8 {
        let (store, mut released) = (store.clone(), released.clone());
        holders.push(tokio::spawn(async move {
            let tx = store.begin().await.unwrap();
            let _ = released.wait_for(|r| *r).await;
            drop(tx);
        }));
    }
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while connections_named(&mut admin, &name).await < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        connections_named(&mut admin, &name).await,
        3,
        "three connections hold transactions, five requests wait"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(connections_named(&mut admin, &name).await, 3, "the waiting requests open no more");
    release.send(true).unwrap();
    drop(released);
    for holder in holders {
        holder.await.unwrap();
    }
    admin.close().await.unwrap();
    store.close().await;
    drop_schema(&url, &schema).await;
}

async fn connections_named(admin: &mut sqlx::PgConnection, name: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1")
        .bind(name)
        .fetch_one(admin)
        .await
        .unwrap()
}
