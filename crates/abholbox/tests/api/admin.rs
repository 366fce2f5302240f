//! Sites and boxes through the admin API: the same checks as the configuration, and a layout never
//! changes under a document.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{SITE, TestApp};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no code>")
}

#[tokio::test]
async fn sites_are_managed_with_checked_hours_by_admins_only() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let site = json!({ "name": "Bürgerbüro Wersten", "address": "Liebfrauenstraße 1",
                       "opening_hours": "Mo-Fr 08:00-12:00; PH off", "holiday_state": "NW" });
    let (status, body) = app.put("/api/v1/admin/sites/dus-wersten", Some(&app.integration), site.clone()).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "the registry manages no sites");
    let mut bad = site.clone();
    bad["opening_hours"] = json!("Mo-Fr 25:00-26:00 maybe");
    let (status, body) = app.put("/api/v1/admin/sites/dus-wersten", Some(&app.admin), bad).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_opening_hours"), "{body}");
    let (status, body) = app.put("/api/v1/admin/sites/dus-wersten", Some(&app.admin), site).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["open_24_7"].as_bool(), body["time_zone"].as_str()), (Some(false), Some("Europe/Berlin")));
    let (_, sites) = app.get("/api/v1/admin/sites", Some(&app.admin)).await;
    let ids: Vec<&str> = sites.as_array().unwrap().iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ["dus-dlz", "dus-wersten"]);
    let audit = app.service.store().audit_entries(100).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "site_changed" && a.object == "site:dus-wersten"));
    app.stop().await;
}

#[tokio::test]
async fn a_layout_never_changes_under_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let layout = |rows: u32, large_rows: Value| {
        json!({ "site": SITE, "name": "Box Wersten", "panels": [{ "id": "front", "reader_slot": 1 }],
                "modules": [{ "name": "A", "rows": rows, "columns": 2, "reach_rows": [2], "large_rows": large_rows }] })
    };
    let (status, body) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), layout(4, json!([]))).await;
    assert_eq!((status, body["compartments"].as_u64()), (StatusCode::OK, Some(8)), "{body}");
    let changes = |audit: Vec<abholbox_store::AuditRecord>| {
        audit.iter().filter(|a| a.action == "box_changed" && a.object == "box:w-1").count()
    };
    let (status, _) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), layout(4, json!([]))).await;
    assert_eq!(status, StatusCode::OK, "the same layout again");
    let audit = app.service.store().audit_entries(1000).await.unwrap();
    assert_eq!(changes(audit), 1, "a PUT that changes nothing writes nothing, not even an audit entry");

    // A document goes into the demo box's compartment 1; that box's layout may grow, never shrink past it.
    let id = app.register("AD-1", "0151 23456731", "1970-01-01", None).await;
    let compartment = app.deposit(&id).await;
    assert_eq!(compartment, 1);
    let demo = |rows: u32| {
        json!({ "site": SITE, "name": "Ausgabebox", "panels": [{ "id": "a", "reader_slot": 1 }, { "id": "b", "reader_slot": 2 }],
                "modules": [{ "name": "A", "rows": rows, "columns": 5, "reach_rows": [1] }] })
    };
    let (status, body) = app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), demo(2)).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "compartment_in_use"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains('1'), "{body}");
    assert_eq!(app.pickup(&id).await["compartment"], 1);

    // Compartment 1 keeps number, place and size: the layout may shrink around it.
    let mut keeps = demo(12);
    keeps["modules"][0]["reach_rows"] = json!((6..=10).collect::<Vec<u32>>());
    keeps["modules"][0]["medium_rows"] = json!([11]);
    keeps["modules"][0]["large_rows"] = json!([12]);
    let (status, body) = app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), keeps).await;
    assert_eq!((status, body["compartments"].as_u64()), (StatusCode::OK, Some(60)), "{body}");
    let (status, body) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), layout(2, json!([1]))).await;
    assert_eq!((status, body["compartments"].as_u64()), (StatusCode::OK, Some(4)), "an empty box shrinks: {body}");
    assert_eq!(app.status(&id).await, "ready");
    let (_, boxes) = app.get("/api/v1/boxes", Some(&app.integration)).await;
    assert_eq!(boxes[0]["compartments"], 60);
    let (status, body) = app
        .put(
            "/api/v1/admin/boxes/w-2",
            Some(&app.admin),
            json!({ "site": "nowhere", "name": "x", "modules": [], "panels": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    app.stop().await;
}

/// Labels are unique per box, and a new layout moves them between compartments: an admin's taller
/// module A moves B's labels up, and the configuration at the next start moves them back down. A
/// module in front of a document's compartment is refused by name, not as a clash of labels.
#[tokio::test]
async fn labels_move_both_ways_and_a_clash_under_a_document_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let module = |name: &str, rows: u32| json!({ "name": name, "rows": rows, "columns": 2, "reach_rows": [1] });
    let configured = json!([module("A", 2), module("B", 2)]);
    let configure = |c: &mut abholbox::Config| c.boxes[0].modules = serde_json::from_value(configured.clone()).unwrap();
    let app = TestApp::spawn_with(dir.path(), configure).await;
    let id = app.register("LB-1", "0151 23456741", "1970-01-01", None).await;
    let held = app.deposit(&id).await;
    let panels = json!([{ "id": "a", "reader_slot": 1 }, { "id": "b", "reader_slot": 2 }]);
    let put = |modules: Value| json!({ "site": SITE, "name": "Box", "modules": modules, "panels": panels });

    let (status, body) =
        app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), put(json!([module("Z", 1), module("A", 2)]))).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "compartment_in_use"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&held.to_string()), "{body}");
    let (status, body) =
        app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), put(json!([module("A", 3), module("B", 2)]))).await;
    assert_eq!((status, body["compartments"].as_u64()), (StatusCode::OK, Some(10)), "{body}");
    let (status, body) = app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), put(configured.clone())).await;
    assert_eq!((status, body["compartments"].as_u64()), (StatusCode::OK, Some(8)), "B's labels back down: {body}");
    let (status, _) =
        app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), put(json!([module("A", 3), module("B", 2)]))).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;

    let app = TestApp::spawn_with(dir.path(), configure).await;
    let labels: Vec<String> = app
        .service
        .store()
        .compartments(&abholbox_core::ids::BoxId::parse("dlz-1").unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert_eq!(labels, ["A-001", "A-002", "A-003", "A-004", "B-001", "B-002", "B-003", "B-004"]);
    assert_eq!((app.status(&id).await, app.pickup(&id).await["compartment"].as_u64()), ("ready".into(), Some(held)));

    // Documents in compartments that only the admin's layout has: the next start names the box and
    // what to do, instead of changing them.
    let (status, _) =
        app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), put(json!([module("A", 3), module("B", 2)]))).await;
    assert_eq!(status, StatusCode::OK);
    for n in 0..2 {
        let id = app.register(&format!("LB-{}", n + 2), &format!("0151 2345674{}", n + 2), "1970-01-01", None).await;
        app.deposit(&id).await;
    }
    let config = app.config.clone();
    app.stop().await;
    let refused = abholbox::offline_service(&config, abholbox::Setup::Always)
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(refused.starts_with("box dlz-1: compartment") && refused.contains("admin API"), "{refused}");
}

#[tokio::test]
async fn compartments_added_while_running_wait_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let small = |rows: u32| json!([{ "name": "A", "rows": rows, "columns": 2, "reach_rows": [1] }]);
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.boxes[0].modules = serde_json::from_value(small(2)).unwrap();
    })
    .await;
    let panels = json!([{ "id": "a", "reader_slot": 1 }, { "id": "b", "reader_slot": 2 }]);
    let grown = json!({ "site": SITE, "name": "Box", "modules": small(4), "panels": panels });
    let (status, body) = app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), grown).await;
    assert_eq!((status, body["compartments"].as_u64()), (StatusCode::OK, Some(8)), "{body}");
    for n in 0..4 {
        let id = app.register(&format!("G-{n}"), &format!("0151 2345660{n}"), "1970-01-01", None).await;
        assert!(app.deposit(&id).await <= 4, "the running driver's compartments");
    }
    let id = app.register("G-5", "0151 23456605", "1970-01-01", None).await;
    let (status, body) = app.deposit_raw(&id).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "box_full"), "{body}");
    let (_, boxes) = app.get("/api/v1/boxes", Some(&app.integration)).await;
    assert_eq!(boxes[0]["defective"], 0, "no lock was tried that the driver does not know");

    // Panel b taken out of the box: its token drives nothing any more.
    let one_panel =
        json!({ "site": SITE, "name": "Box", "modules": small(4), "panels": [{ "id": "a", "reader_slot": 1 }] });
    let (status, _) = app.put("/api/v1/admin/boxes/dlz-1", Some(&app.admin), one_panel).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk2), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post("/api/v1/kiosk/sessions", Some(&app.kiosk), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_commits_and_write_time_for_admins_only() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(dir.path(), |c| c.http.exact_write_time = true).await;
    let figure = |text: &serde_json::Value, name: &str| -> f64 {
        let text = text.as_str().unwrap();
        let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let commits = |text: &serde_json::Value| figure(text, "abholbox_store_commits_total") as u64;
    let write_seconds = |text: &serde_json::Value| figure(text, "abholbox_store_write_seconds_total");
    let (status, _) = app.get("/metrics", Some(&app.integration)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/metrics", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The audit chainer commits in the background once a second; a try it falls into is repeated.
    let mut deltas = Vec::new();
    for n in 0..3 {
        app.service.chain_audit().await.unwrap();
        let (status, before) = app.get("/metrics", Some(&app.admin)).await;
        assert_eq!(status, StatusCode::OK, "{before}");
        assert!(before.as_str().unwrap().contains("# TYPE abholbox_store_commits_total counter"));
        app.register(&format!("M-{n}"), &format!("0151 234567{n:02}"), "1970-01-01", None).await;
        let (_, after) = app.get("/metrics", Some(&app.admin)).await;
        deltas.push(commits(&after) - commits(&before));
        assert!(write_seconds(&after) > write_seconds(&before), "a write's time is counted: {after}");
        if deltas.last() == Some(&1) {
            break;
        }
    }
    assert_eq!(deltas.last(), Some(&1), "a registration is one commit: {deltas:?}");
    app.stop().await;
}

#[tokio::test]
async fn metrics_give_the_write_time_in_whole_seconds_unless_a_load_test_asks() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    app.register("W-1", "0151 23456701", "1970-01-01", None).await;
    let (status, text) = app.get("/metrics", Some(&app.admin)).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    let line = text.lines().find(|l| l.starts_with("abholbox_store_write_seconds_total ")).unwrap();
    let value = line.rsplit(' ').next().unwrap();
    assert!(value.parse::<u64>().is_ok(), "whole seconds, or a PIN step's writes would show: {line}");
    app.stop().await;
}

/// An admin reads a box's layout back as the modules `PUT` takes, changes one and sends it back; the
/// list counts each box's compartments.
#[tokio::test]
async fn a_box_reads_back_as_its_modules_and_one_module_changes_alone() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(dir.path()).await;
    let modules = json!([
        { "name": "A", "rows": 3, "columns": 2, "reach_rows": [2, 3], "medium_rows": [3], "large_rows": [] },
        { "name": "B", "rows": 2, "columns": 4, "reach_rows": [], "medium_rows": [], "large_rows": [2] }
    ]);
    let put = json!({ "site": SITE, "name": "Box Wersten", "driver": "simulated",
                      "panels": [{ "id": "front", "reader_slot": 1 }], "modules": modules });
    let (status, body) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), put.clone()).await;
    assert_eq!((status, &body["modules"]), (StatusCode::OK, &modules), "{body}");

    let (status, body) = app.get("/api/v1/admin/boxes/w-1", Some(&app.admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["modules"], body["compartments"].as_u64()), (&modules, Some(14)));
    assert_eq!((body["name"].as_str(), body["panels"][0]["id"].as_str()), (Some("Box Wersten"), Some("front")));
    let mut changed = put.clone();
    changed["modules"] = body["modules"].clone();
    changed["modules"][1]["rows"] = json!(3);
    let (status, body) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), changed.clone()).await;
    assert_eq!((status, body["compartments"].as_u64()), (StatusCode::OK, Some(18)), "{body}");
    let (_, body) = app.get("/api/v1/admin/boxes/w-1", Some(&app.admin)).await;
    assert_eq!(body["modules"], changed["modules"], "module A as it was, B one row taller");
    let (status, again) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), body.clone()).await;
    assert_eq!((status, &again), (StatusCode::OK, &body), "what GET gives goes back as it is");
    let mut miscounted = body.clone();
    miscounted["compartments"] = json!(19);
    let (status, answer) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), miscounted).await;
    assert_eq!((status, code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_modules"), "{answer}");
    let (status, answer) = app.put("/api/v1/admin/boxes/w-2", Some(&app.admin), body.clone()).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_box"),
        "another box's id: {answer}"
    );

    let (status, list) = app.get("/api/v1/admin/boxes", Some(&app.admin)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let counts: Vec<(&str, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap_or(""), b["compartments"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(counts, [("dlz-1", 600), ("w-1", 18)]);
    for rows in [json!({ "reach_rows": [5] }), json!({ "medium_rows": [1], "large_rows": [1] })] {
        let mut wrong = changed.clone();
        for (key, value) in rows.as_object().unwrap() {
            wrong["modules"][1][key] = value.clone();
        }
        let (status, body) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), wrong).await;
        assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_modules"), "{rows}: {body}");
        assert!(body["error"]["message"].as_str().unwrap_or("").contains("module B"), "{body}");
    }
    // Each module and panel is an object: one written as an array (its fields in order) is refused.
    let mut as_arrays = changed.clone();
    as_arrays["modules"][0] = json!(["A", 3, 2, [2, 3], [3], []]);
    let (status, answer) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), as_arrays).await;
    assert_eq!((status, code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"), "{answer}");
    let mut as_arrays = changed.clone();
    as_arrays["panels"][0] = json!(["front", 1]);
    let (status, answer) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), as_arrays).await;
    assert_eq!((status, code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"), "{answer}");
    let mut misspelt = changed.clone();
    misspelt["modules"][1]["large_row"] = json!([1]);
    let (status, answer) = app.put("/api/v1/admin/boxes/w-1", Some(&app.admin), misspelt).await;
    assert!(answer["error"]["message"].as_str().unwrap_or("").contains("large_row"), "{status} {answer}");
    let (status, body) = app.get("/api/v1/admin/boxes/nowhere", Some(&app.admin)).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{body}");
    let (status, body) = app.get("/api/v1/admin/boxes/w-1", Some(&app.integration)).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "the registry reads no layouts");
    app.stop().await;
}
