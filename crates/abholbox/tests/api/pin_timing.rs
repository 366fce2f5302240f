//! The PIN step takes the same time for a known number with a wrong PIN, an unknown number and a
//! locked document with its right PIN: a rank test finds no difference.
//!
//! `ABHOLBOX_TIMING_STEPS` sets the steps per case (default 300; docs/security.md reports 1,000).

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

/// Two-sided p-value of the Mann–Whitney U test (normal approximation with tie correction): how
/// likely samples this far apart are if both come from one distribution.
fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<(f64, usize)> = a.iter().map(|v| (*v, 0)).chain(b.iter().map(|v| (*v, 1))).collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let mut ranks = vec![0.0; n];
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for r in &mut ranks[i..=j] {
            *r = rank;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let r1: f64 = all.iter().zip(&ranks).filter(|((_, g), _)| *g == 0).map(|(_, r)| r).sum();
    let u = r1 - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let total = n1 + n2;
    let sd = (n1 * n2 / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)))).sqrt();
    let z = ((u - mean).abs() - 0.5).max(0.0) / sd;
    2.0 * (1.0 - normal_cdf(z))
}

/// The standard normal distribution function (Abramowitz and Stegun 7.1.26, error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.3275911 * z / std::f64::consts::SQRT_2);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let erf = 1.0 - poly * (-(z * z) / 2.0).exp();
    0.5 * (1.0 + erf)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// One PIN step in a fresh session, timed as the panel sees it.
async fn pin_step(app: &TestApp, phone: &str, pin: &str) -> f64 {
    let session = app.session().await;
    let (status, body) = app.step(&session, "phone", json!({ "phone": phone })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let start = Instant::now();
    let (status, body) = app.step(&session, "pin", json!({ "pin": pin })).await;
    let took = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_or_pin_wrong"))
    );
    took
}

#[tokio::test]
async fn known_unknown_and_locked_numbers_answer_the_pin_step_in_the_same_time() {
    let steps: usize = std::env::var("ABHOLBOX_TIMING_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let mut floor_ms = 0.0;
    let app = TestApp::spawn_with(dir.path(), |c| {
        floor_ms = f64::from(c.kiosk.pin_step_floor_ms);
        c.pins.lockout_after = u32::MAX;
        c.kiosk.third_factor_lockout_after = 1;
    })
    .await;
    let known = app.register("PT-1", "0151 23456795", "1970-01-01", None).await;
    app.deposit(&known).await;
    let known_pin = app.pin_for("+4915123456795").await;
    let wrong = if known_pin.starts_with('1') { "2".repeat(known_pin.len()) } else { "1".repeat(known_pin.len()) };
    let locked = app.register("PT-2", "0151 23456796", "1970-01-01", None).await;
    app.deposit(&locked).await;
    let locked_pin = app.pin_for("+4915123456796").await;
    let (session, status, _) = app.authenticate("0151 23456796", &locked_pin).await;
    assert_eq!(status, StatusCode::OK);
    app.step(&session, "birth-date", json!({ "birth_date": "1999-09-09" })).await;
    assert_eq!(app.pickup(&locked).await["locked"], true, "locked by a wrong birth date");

    let (mut k, mut u, mut l) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..10 {
        pin_step(&app, "0151 23456797", &wrong).await;
    }
    for _ in 0..steps {
        k.push(pin_step(&app, "0151 23456795", &wrong).await);
        u.push(pin_step(&app, "0151 23456797", &wrong).await);
        l.push(pin_step(&app, "0151 23456796", &locked_pin).await);
    }
    let (pu, pl) = (mann_whitney_p(&k, &u), mann_whitney_p(&k, &l));
    println!(
        "PIN step, {steps} each: median known {:.3} ms, unknown {:.3} ms, locked {:.3} ms; Mann-Whitney p known/unknown {pu:.3}, known/locked {pl:.3}",
        median(&k),
        median(&u),
        median(&l)
    );
    assert!(pu > 0.001 && pl > 0.001, "the times tell the cases apart: p {pu}, {pl}");
    assert!(median(&k) >= floor_ms && floor_ms > 0.0, "the floor of {floor_ms} ms holds: {}", median(&k));
    app.stop().await;
}

#[tokio::test]
async fn a_refusal_shows_on_the_session_no_sooner_than_in_the_answer() {
    const FLOOR_MS: u64 = 400;
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.kiosk.pin_step_floor_ms = FLOOR_MS as u32).await;
    let session = app.session().await;
    let (status, body) = app.step(&session, "phone", json!({ "phone": "0151 23456798" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let start = Instant::now();
    let answer = async {
        let (status, _) = app.step(&session, "pin", json!({ "pin": "123456" })).await;
        (status, start.elapsed())
    };
    // Someone holding the panel's token reads the session over and over while the PIN is checked.
    let reads = async {
        loop {
            let (status, view) = app.get(&format!("/api/v1/kiosk/sessions/{session}"), Some(&app.kiosk)).await;
            assert_eq!(status, StatusCode::OK, "{view}");
            if view["error"] == "phone_or_pin_wrong" {
                return start.elapsed();
            }
            assert!(start.elapsed() < std::time::Duration::from_secs(10), "the refusal never showed");
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    };
    let ((status, answered), seen) = tokio::join!(answer, reads);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let floor = std::time::Duration::from_millis(FLOOR_MS);
    assert!(answered >= floor, "the answer waits for the floor: {answered:?}");
    assert!(seen >= floor, "read off the session after {seen:?}, before the answer was due");
    app.stop().await;
}

#[test]
fn the_rank_test_tells_apart_what_differs_and_not_what_does_not() {
    let a: Vec<f64> = (0..300).map(|i| 5.0 + f64::from(i % 17) * 0.01).collect();
    let shifted: Vec<f64> = a.iter().map(|v| v + 0.05).collect();
    let same: Vec<f64> = (0..300).map(|i| 5.0 + f64::from((i * 7) % 17) * 0.01).collect();
    assert!(mann_whitney_p(&a, &shifted) < 0.001);
    assert!(mann_whitney_p(&a, &same) > 0.5);
    assert!((normal_cdf(1.959964) - 0.975).abs() < 1e-6);
}
