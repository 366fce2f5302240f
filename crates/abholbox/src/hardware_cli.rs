//! Commands for box hardware: the serial simulator as its own process, and a check of a real box's
//! lines that opens nothing.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use abholbox_box::boards::LockBus;
use abholbox_box::boards::bus::KerongBus;
use abholbox_box::serial::open_port;
use abholbox_box::serial_sim::SerialSimulator;
use abholbox_core::ids::{BoxId, SlotNo};
use anyhow::Context;

use crate::Config;

/// Starts the serial simulator on two pseudo-terminals and prints their paths (`lock: …`,
/// `reader: …`); with a control port, serves the simulator's control routes on 127.0.0.1 there.
/// Runs until `stop` resolves.
pub async fn sim_serial(
    box_id: &str,
    compartments: u32,
    control_port: Option<u16>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let box_id = BoxId::parse(box_id).context("--box")?;
    let slot = SlotNo::new(1).context("slot 1")?;
    let simulator = SerialSimulator::start(box_id.clone(), compartments, &[slot])?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "lock: {}", simulator.lock_path)?;
    writeln!(out, "reader: {}", simulator.reader_path)?;
    let server = match control_port {
        Some(port) => {
            let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
                .await
                .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
            writeln!(out, "control: http://{}/api/v1/sim/boxes/{box_id}", listener.local_addr()?)?;
            let boxes = Arc::new(HashMap::from([(box_id.clone(), simulator.sim.clone())]));
            let router = abholbox_http::simulator_router(abholbox_http::Simulator { boxes, sms: None });
            Some(tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(stop).await }))
        }
        None => {
            tokio::spawn(stop).await?;
            None
        }
    };
    out.flush()?;
    drop(out);
    if let Some(server) = server {
        server.await??;
    }
    drop(simulator);
    Ok(())
}

/// Asks every board of every serial box once and prints each board's answer and each door's
/// state; opens nothing. Returns whether every board answered and every reader's line opened.
pub async fn box_check(config: &Config) -> anyhow::Result<bool> {
    // The same checks as a start, so that a configuration the server refuses does not pass here.
    config.resolve()?;
    let mut all_well = true;
    let mut checked = 0;
    for (i, b) in config.boxes.iter().enumerate() {
        let Some(serial) = &b.serial else {
            println!("box {}: driver {}, nothing to check on serial lines", b.id, b.driver);
            continue;
        };
        let setup = serial.setup(&format!("boxes[{i}].serial"))?;
        for bus in &setup.buses {
            checked += 1;
            let port = match open_port(&bus.path, bus.baud) {
                Ok(port) => port,
                Err(e) => {
                    println!("box {} bus {}: cannot open: {}", b.id, bus.path, line_error(&e));
                    all_well = false;
                    continue;
                }
            };
            let lines = KerongBus::new(port, setup.answer_timeout, setup.tries);
            let per = u32::from(LockBus::locks_per_board(&lines));
            for board in 0..bus.boards {
                let first = bus.first_compartment + u32::from(board) * per;
                match LockBus::status(&lines, board).await {
                    Ok(locks) => {
                        let list = |pick: &dyn Fn(usize) -> bool| {
                            let found: Vec<String> = (0..locks.closed.len())
                                .filter(|l| pick(*l))
                                .map(|l| (first + u32::try_from(l).unwrap_or(0)).to_string())
                                .collect();
                            if found.is_empty() { "none".to_owned() } else { found.join(", ") }
                        };
                        let open = list(&|l| !locks.closed.get(l).copied().unwrap_or(true));
                        let items = list(&|l| locks.item.get(l).copied().unwrap_or(false));
                        println!(
                            "box {} bus {} board {board} (compartments {first}-{}): answers; open: {open}; item inside: {items}",
                            b.id,
                            bus.path,
                            first + per - 1
                        );
                    }
                    Err(e) => {
                        println!("box {} bus {} board {board}: {e}", b.id, bus.path);
                        all_well = false;
                    }
                }
            }
        }
        for reader in &setup.readers {
            checked += 1;
            match open_port(&reader.path, reader.baud) {
                Ok(_) => println!("box {} reader of slot {} on {}: line opens", b.id, reader.slot, reader.path),
                Err(e) => {
                    println!(
                        "box {} reader of slot {} on {}: cannot open: {}",
                        b.id,
                        reader.slot,
                        reader.path,
                        line_error(&e)
                    );
                    all_well = false;
                }
            }
        }
    }
    if checked == 0 {
        println!("no box on serial lines in this configuration");
    }
    Ok(all_well)
}

/// What went wrong with a line, without the driver's framing of it.
fn line_error(e: &abholbox_box::DriverError) -> String {
    match e {
        abholbox_box::DriverError::Unreachable(detail) => detail.clone(),
        other => other.to_string(),
    }
}

/// The demo's serial simulator, running in this process: its physical side for the control routes.
pub fn demo_simulator(
    box_id: &str,
    compartments: u32,
) -> anyhow::Result<(SerialSimulator, HashMap<BoxId, Arc<abholbox_box::SimulatedBox>>)> {
    let id = BoxId::parse(box_id)?;
    let simulator = SerialSimulator::start(id.clone(), compartments, &[SlotNo::new(1).context("slot 1")?])?;
    let sims = HashMap::from([(id, simulator.sim.clone())]);
    Ok((simulator, sims))
}
