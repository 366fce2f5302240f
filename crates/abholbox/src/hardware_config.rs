//! A box's serial hardware in the configuration: which ports its lock-controller buses and slot
//! readers hang on, and how they speak. A box of 600 compartments on three buses of KR-CU16 boards
//! is a few lines:
//!
//! ```toml
//! [[boxes]]
//! id = "dlz-1"
//! driver = "kerong-cu16"
//! [[boxes.serial.buses]]
//! port = "/dev/ttyUSB0"
//! boards = 16                 # addresses 0-15: compartments 1-256
//! [[boxes.serial.buses]]
//! port = "/dev/ttyUSB1"
//! first_compartment = 257
//! boards = 16
//! [[boxes.serial.readers]]
//! slot = 1
//! port = "/dev/ttyACM0"
//! ```

use std::time::Duration;

use abholbox_box::reader::Profile;
use abholbox_box::serial::{BusPort, ReaderPort, SerialSetup, Watch};
use abholbox_box::serial_sim::{GIVE_BACK_COMMAND, KEEP_COMMAND};
use abholbox_core::ids::SlotNo;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SerialConfig {
    /// How long a board's answer is awaited before the command is tried again.
    #[serde(default = "default_answer_timeout_ms")]
    pub answer_timeout_ms: u64,
    /// How often a command is tried before its outcome counts as unknown.
    #[serde(default = "default_tries")]
    pub tries: u32,
    /// The pause after each round of status requests over a bus's boards.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    pub buses: Vec<BusConfig>,
    #[serde(default)]
    pub readers: Vec<ReaderConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BusConfig {
    pub port: String,
    #[serde(default = "default_bus_baud")]
    pub baud: u32,
    /// The compartment that board 0's lock 1 opens; the rest follow, 16 a board.
    #[serde(default = "one")]
    pub first_compartment: u32,
    /// Boards at addresses 0 to `boards - 1` (at most 16 on one bus).
    pub boards: u8,
    /// The compartments have infrared item sensors wired to the boards: a door closed on the
    /// document at pickup is then no hand-over.
    #[serde(default)]
    pub item_sensors: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReaderConfig {
    /// The slot (as in `[[boxes.panels]] reader_slot`) whose reader this is.
    pub slot: u32,
    pub port: String,
    #[serde(default = "default_reader_baud")]
    pub baud: u32,
    /// The byte that starts a document's text (e.g. 2 for STX); none for readers that send bare lines.
    #[serde(default)]
    pub start_of_text: Option<u8>,
    /// Bytes after it that are not text (a status flag).
    #[serde(default)]
    pub after_start: usize,
    /// The byte that ends a document (e.g. 3 for ETX).
    #[serde(default)]
    pub end_of_text: Option<u8>,
    /// Bytes after it that are not text (a checksum).
    #[serde(default)]
    pub after_end: usize,
    /// A padding character the reader puts where ICAO 9303 has `<` (e.g. `_`).
    #[serde(default)]
    pub padding: Option<char>,
    /// What the slot's transport is sent to drop the document into the bin.
    #[serde(default = "default_keep")]
    pub keep: String,
    /// What it is sent to give the document back.
    #[serde(default = "default_give_back")]
    pub give_back: String,
}

fn default_answer_timeout_ms() -> u64 {
    100
}
fn default_tries() -> u32 {
    3
}
fn default_poll_interval_ms() -> u64 {
    100
}
fn default_bus_baud() -> u32 {
    19200
}
fn default_reader_baud() -> u32 {
    9600
}
fn one() -> u32 {
    1
}
fn default_keep() -> String {
    String::from_utf8_lossy(KEEP_COMMAND).into_owned()
}
fn default_give_back() -> String {
    String::from_utf8_lossy(GIVE_BACK_COMMAND).into_owned()
}

impl SerialConfig {
    /// One bus and one reader on the given ports, as the demo and the serial simulator wire them.
    pub fn single(lock_port: &str, reader_port: &str, compartments: u32) -> Self {
        let locks = u32::from(abholbox_box::boards::kerong_cu16::LOCKS);
        let boards = u8::try_from(compartments.div_ceil(locks).min(16)).unwrap_or(16);
        Self {
            answer_timeout_ms: default_answer_timeout_ms(),
            tries: default_tries(),
            poll_interval_ms: default_poll_interval_ms(),
            buses: vec![BusConfig {
                port: lock_port.into(),
                baud: default_bus_baud(),
                first_compartment: 1,
                boards,
                item_sensors: true,
            }],
            readers: vec![ReaderConfig {
                slot: 1,
                port: reader_port.into(),
                baud: default_reader_baud(),
                start_of_text: None,
                after_start: 0,
                end_of_text: None,
                after_end: 0,
                padding: None,
                keep: default_keep(),
                give_back: default_give_back(),
            }],
        }
    }

    /// Checks the section and turns it into the driver's setup; errors name the key.
    pub fn setup(&self, key: &str) -> anyhow::Result<SerialSetup> {
        if self.buses.is_empty() {
            bail!("{key}.buses: a serial box needs at least one bus");
        }
        if self.tries == 0 || self.tries > 10 {
            bail!("{key}.tries: between 1 and 10");
        }
        if !(10..=5000).contains(&self.answer_timeout_ms) {
            bail!("{key}.answer_timeout_ms: between 10 and 5000");
        }
        if !(10..=10_000).contains(&self.poll_interval_ms) {
            bail!("{key}.poll_interval_ms: between 10 and 10000");
        }
        let mut buses = Vec::new();
        for (i, b) in self.buses.iter().enumerate() {
            if b.boards == 0 || b.boards > 16 {
                bail!("{key}.buses[{i}].boards: 1 to 16 boards on one bus");
            }
            if b.first_compartment == 0 {
                bail!("{key}.buses[{i}].first_compartment: compartments are numbered from 1");
            }
            if b.baud == 0 {
                bail!("{key}.buses[{i}].baud: a baud rate such as 19200");
            }
            let bus = BusPort {
                path: b.port.clone(),
                baud: b.baud,
                first_compartment: b.first_compartment,
                boards: b.boards,
                item_sensors: b.item_sensors,
            };
            let (first, last) = (bus.first_compartment, bus.last_compartment());
            if let Some(j) =
                buses.iter().position(|o: &BusPort| first <= o.last_compartment() && o.first_compartment <= last)
            {
                bail!("{key}.buses[{i}]: compartments {first}-{last} overlap those of buses[{j}]");
            }
            buses.push(bus);
        }
        let mut readers = Vec::new();
        for (i, r) in self.readers.iter().enumerate() {
            let slot = SlotNo::new(r.slot).with_context(|| format!("{key}.readers[{i}].slot: from 1"))?;
            if self.readers.iter().take(i).any(|o| o.slot == r.slot) {
                bail!("{key}.readers[{i}].slot: slot {} has a reader already", r.slot);
            }
            if r.baud == 0 {
                bail!("{key}.readers[{i}].baud: a baud rate such as 9600");
            }
            let padding = match r.padding {
                None => None,
                Some(c) if c.is_ascii_graphic() && c != '<' => u8::try_from(c).ok(),
                Some(_) => bail!("{key}.readers[{i}].padding: one printable ASCII character other than <"),
            };
            if r.keep.is_empty() || r.give_back.is_empty() || r.keep == r.give_back {
                bail!("{key}.readers[{i}]: keep and give_back must be two different, non-empty commands");
            }
            readers.push(ReaderPort {
                slot,
                path: r.port.clone(),
                baud: r.baud,
                profile: Profile {
                    start_of_text: r.start_of_text,
                    after_start: r.after_start,
                    end_of_text: r.end_of_text,
                    after_end: r.after_end,
                    padding,
                },
                keep: r.keep.as_bytes().to_vec(),
                give_back: r.give_back.as_bytes().to_vec(),
            });
        }
        Ok(SerialSetup {
            buses,
            readers,
            answer_timeout: Duration::from_millis(self.answer_timeout_ms),
            tries: self.tries,
            watch: Watch { poll_interval: Duration::from_millis(self.poll_interval_ms) },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_single_bus_wires_up_to_sixteen_boards() {
        let setup = SerialConfig::single("/dev/a", "/dev/b", 600).setup("boxes[0].serial").unwrap();
        assert_eq!(setup.buses[0].boards, 16);
        assert_eq!(setup.readers[0].keep, KEEP_COMMAND);
        let small = SerialConfig::single("/dev/a", "/dev/b", 40).setup("s").unwrap();
        assert_eq!(small.buses[0].boards, 3);
    }

    #[test]
    fn bad_sections_are_refused_by_key() {
        let mut c = SerialConfig::single("/dev/a", "/dev/b", 16);
        c.buses[0].boards = 17;
        assert!(c.setup("boxes[0].serial").unwrap_err().to_string().contains("boxes[0].serial.buses[0].boards"));
        let mut c = SerialConfig::single("/dev/a", "/dev/b", 16);
        c.readers[0].give_back = c.readers[0].keep.clone();
        assert!(c.setup("k").unwrap_err().to_string().contains("k.readers[0]"));
        let mut c = SerialConfig::single("/dev/a", "/dev/b", 16);
        c.readers[0].padding = Some('<');
        assert!(c.setup("k").unwrap_err().to_string().contains("padding"));
        let mut c = SerialConfig::single("/dev/a", "/dev/b", 16);
        c.buses.clear();
        assert!(c.setup("k").is_err());
    }
}
