//! Staff accounts against a real SQLite store: made with checked names and passwords, signed in by
//! name and password, slowed down after failed sign-ins but never locked out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use abholbox_core::ids::SiteId;
use abholbox_core::staff::{CredentialError, StaffRole};
use abholbox_service::staff::NewStaff;
use abholbox_service::{Error, Principal};
use abholbox_store::Store;
use common::world;

const PASSWORD: &str = "Pferd Batterie Heftklammer";

fn new_staff(name: &str, password: &str, sites: &[&str]) -> NewStaff {
    NewStaff {
        name: name.into(),
        role: StaffRole::Clerk,
        sites: sites.iter().map(|s| SiteId::parse(s).unwrap()).collect(),
        password: password.into(),
    }
}

#[tokio::test]
async fn a_staff_member_is_made_and_signs_in_with_name_and_password() {
    let w = world().await;
    let actor = Principal::Host;
    let made = w.service.create_staff(&actor, new_staff(" Anna.Schmidt ", PASSWORD, &["s1"])).await.unwrap();
    assert_eq!((made.name.as_str(), made.role), ("anna.schmidt", StaffRole::Clerk));
    assert!(made.password_hash.starts_with("$argon2id$"), "only a hash is kept");
    assert!(!format!("{made:?}").contains("argon2"), "Debug hides the hash");

    let member = w.service.sign_in("ANNA.SCHMIDT", PASSWORD).await.unwrap();
    assert_eq!((member.name.as_str(), member.sites.clone()), ("anna.schmidt", vec![SiteId::parse("s1").unwrap()]));
    assert!(matches!(
        w.service.sign_in("anna.schmidt", "Pferd Batterie Heftklammern").await,
        Err(Error::SignInRefused)
    ));
    assert!(matches!(w.service.sign_in("bernd", PASSWORD).await, Err(Error::SignInRefused)), "same answer");
    assert!(matches!(w.service.sign_in("", "").await, Err(Error::SignInRefused)));

    let again = w.service.create_staff(&actor, new_staff("anna.schmidt", PASSWORD, &[])).await;
    assert!(matches!(again, Err(Error::DuplicateStaffName)), "{again:?}");
    let short = w.service.create_staff(&actor, new_staff("bernd", "kurz", &[])).await;
    assert!(
        matches!(short, Err(Error::Credential { field: "password", reason: CredentialError::TooShort })),
        "{short:?}"
    );
    let name = w.service.create_staff(&actor, new_staff("b d", PASSWORD, &[])).await;
    assert!(matches!(name, Err(Error::Credential { field: "name", reason: CredentialError::Name })), "{name:?}");
    let site = w.service.create_staff(&actor, new_staff("bernd", PASSWORD, &["nowhere"])).await;
    assert!(matches!(site, Err(Error::Unknown { field: "site" })), "{site:?}");
    assert_eq!(w.store.staff_by_name("bernd").await.unwrap(), None, "nothing half-made");
}

#[tokio::test]
async fn failed_sign_ins_slow_the_account_down_and_a_good_one_clears_them() {
    let w = world().await;
    let actor = Principal::Host;
    w.service.create_staff(&actor, new_staff("carla", PASSWORD, &["s1"])).await.unwrap();
    for _ in 0..5 {
        assert!(matches!(w.service.sign_in("carla", "wrong wrong wrong").await, Err(Error::SignInRefused)));
    }
    match w.service.sign_in("carla", PASSWORD).await {
        Err(Error::SignInCoolingDown { retry_after_seconds }) => assert_eq!(retry_after_seconds, 2),
        other => panic!("the right password waits too: {other:?}"),
    }
    w.clock.advance(chrono::Duration::seconds(2));
    w.service.sign_in("carla", PASSWORD).await.unwrap();
    assert_eq!(w.store.staff_by_name("carla").await.unwrap().unwrap().failed_sign_ins, 0);
    for _ in 0..5 {
        assert!(
            matches!(w.service.sign_in("carla", "wrong wrong wrong").await, Err(Error::SignInRefused)),
            "a good sign-in made the first failures free again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_do_not_pass_the_throttle() {
    let w = world().await;
    let actor = Principal::Host;
    w.service.create_staff(&actor, new_staff("dora", PASSWORD, &["s1"])).await.unwrap();
    let tries: Vec<_> = (0..20)
        .map(|n| {
            let service = w.service.clone();
            tokio::spawn(async move { service.sign_in("dora", &format!("wrong guess number {n}")).await })
        })
        .collect();
    for t in tries {
        assert!(matches!(t.await.unwrap(), Err(Error::SignInRefused | Error::SignInCoolingDown { .. })));
    }
    let checked = w.store.staff_by_name("dora").await.unwrap().unwrap().failed_sign_ins;
    assert!(checked < 20, "only tries that booked the count they read went on to be checked: {checked}");
}

#[tokio::test]
async fn a_disabled_account_is_refused_like_a_wrong_password() {
    let w = world().await;
    let actor = Principal::Host;
    let made = w.service.create_staff(&actor, new_staff("emil", PASSWORD, &["s1"])).await.unwrap();
    let disabled = abholbox_store::StaffRecord {
        id: "stf_disabled".into(),
        name: "emil.alt".into(),
        disabled_at: Some(made.created_at),
        ..made
    };
    let mut tx = w.store.begin().await.unwrap();
    tx.insert_staff(&disabled).await.unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(w.service.sign_in("emil.alt", PASSWORD).await, Err(Error::SignInRefused)));
    w.service.sign_in("emil", PASSWORD).await.unwrap();
}
