//! The store conformance suite on a fresh SQLite file per test.

#![allow(clippy::unwrap_used)]

use abholbox_store::{Store, conformance};
use abholbox_store_sqlite::SqliteStore;

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let dir = tempfile::tempdir().unwrap();
                let store = SqliteStore::open(&dir.path().join("test.db")).await.unwrap();
                conformance::$name(&store).await;
                store.close().await;
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
