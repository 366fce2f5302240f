//! How a box is built: modules of compartments in rows and columns.
//!
//! A box of 600 compartments is described in a few lines (modules, rows, columns, which rows are
//! larger, which are within reach from a wheelchair) and expanded here into numbered compartments.
//! Numbers run module by module, row by row from the top, left to right, the order in which lock
//! boards are usually wired.

use serde::{Deserialize, Serialize};

use crate::compartment::SizeClass;
use crate::ids::CompartmentNo;

/// One column module of a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleLayout {
    /// Shown on labels and maps: compartment `A-017` is number 17 of module `A`.
    pub name: String,
    pub rows: u32,
    pub columns: u32,
    /// Rows (1 = top) whose compartments a seated person can reach, by DIN 18040-1 about 40 to 120 cm.
    pub reach_rows: Vec<u32>,
    /// Rows with medium compartments; all others are small.
    #[serde(default)]
    pub medium_rows: Vec<u32>,
    /// Rows with large compartments.
    #[serde(default)]
    pub large_rows: Vec<u32>,
}

/// A compartment as the layout defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompartmentSpec {
    pub number: CompartmentNo,
    pub label: String,
    pub module: String,
    pub row: u32,
    pub column: u32,
    pub size: SizeClass,
    pub within_reach: bool,
}

/// Why a layout cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("a box needs at least one module with at least one compartment")]
    Empty,
    #[error("module names must be unique, 1 to 8 letters or digits: {0:?}")]
    BadModuleName(String),
    #[error("a box has at most 10,000 compartments")]
    TooLarge,
    #[error("module {0}: at least one row and one column")]
    EmptyModule(String),
    #[error(
        "module {0}: reach_rows, medium_rows and large_rows name rows from 1 to the module's rows, and no row is both medium and large"
    )]
    BadRows(String),
}

/// The layout of the demo box and a sensible default: 10 modules of 12 rows by 5 columns, 600 compartments.
pub fn default_modules() -> Vec<ModuleLayout> {
    ["A", "B", "C", "D", "E", "F", "G", "H", "J", "K"]
        .into_iter()
        .map(|name| ModuleLayout {
            name: name.to_owned(),
            rows: 12,
            columns: 5,
            reach_rows: (6..=10).collect(),
            medium_rows: vec![11],
            large_rows: vec![12],
        })
        .collect()
}

/// Expands modules into numbered compartments.
pub fn expand(modules: &[ModuleLayout]) -> Result<Vec<CompartmentSpec>, LayoutError> {
    // A module of no rows or no columns is a mistake, never a way to leave one out (and would have
    // its rows counted one by one, four billion of them at most).
    if let Some(m) = modules.iter().find(|m| m.rows == 0 || m.columns == 0) {
        return Err(LayoutError::EmptyModule(m.name.clone()));
    }
    let total: u64 = modules.iter().map(|m| u64::from(m.rows) * u64::from(m.columns)).sum();
    if total == 0 {
        return Err(LayoutError::Empty);
    }
    if total > 10_000 {
        return Err(LayoutError::TooLarge);
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut number = 0u32;
    for m in modules {
        let name_ok = (1..=8).contains(&m.name.len()) && m.name.chars().all(|c| c.is_ascii_alphanumeric());
        if !name_ok || !seen.insert(m.name.clone()) {
            return Err(LayoutError::BadModuleName(m.name.clone()));
        }
        let rows_ok = [&m.reach_rows, &m.medium_rows, &m.large_rows]
            .iter()
            .all(|r| r.iter().all(|&row| (1..=m.rows).contains(&row)))
            && !m.medium_rows.iter().any(|row| m.large_rows.contains(row));
        if !rows_ok {
            return Err(LayoutError::BadRows(m.name.clone()));
        }
        let mut within = 0u32;
        for row in 1..=m.rows {
            for column in 1..=m.columns {
                number += 1;
                within += 1;
                let size = if m.large_rows.contains(&row) {
                    SizeClass::L
                } else if m.medium_rows.contains(&row) {
                    SizeClass::M
                } else {
                    SizeClass::S
                };
                out.push(CompartmentSpec {
                    number: CompartmentNo::new(number).ok_or(LayoutError::Empty)?,
                    label: format!("{}-{within:03}", m.name),
                    module: m.name.clone(),
                    row,
                    column,
                    size,
                    within_reach: m.reach_rows.contains(&row),
                });
            }
        }
    }
    Ok(out)
}

/// Reads a box's modules back from its compartments: the layout to send to keep the box as it is, so
/// that an admin can change one module without retyping the others. The inverse of [`expand`] for
/// every layout it accepts; a row's size and reach are those of its first compartment.
pub fn modules_of(compartments: &[CompartmentSpec]) -> Vec<ModuleLayout> {
    let mut in_order: Vec<&CompartmentSpec> = compartments.iter().collect();
    in_order.sort_by_key(|c| c.number);
    let mut out: Vec<ModuleLayout> = Vec::new();
    let mut rows_seen = std::collections::BTreeSet::new();
    for c in in_order {
        let module = match out.last_mut() {
            Some(m) if m.name == c.module => m,
            _ => {
                rows_seen.clear();
                out.push(ModuleLayout {
                    name: c.module.clone(),
                    rows: 0,
                    columns: 0,
                    reach_rows: Vec::new(),
                    medium_rows: Vec::new(),
                    large_rows: Vec::new(),
                });
                let Some(m) = out.last_mut() else { continue };
                m
            }
        };
        module.rows = module.rows.max(c.row);
        module.columns = module.columns.max(c.column);
        if rows_seen.insert(c.row) {
            if c.within_reach {
                module.reach_rows.push(c.row);
            }
            match c.size {
                SizeClass::S => {}
                SizeClass::M => module.medium_rows.push(c.row),
                SizeClass::L => module.large_rows.push(c.row),
            }
        }
    }
    for m in &mut out {
        m.reach_rows.sort_unstable();
        m.medium_rows.sort_unstable();
        m.large_rows.sort_unstable();
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_default_box_has_600_compartments() {
        let all = expand(&default_modules()).unwrap();
        assert_eq!(all.len(), 600);
        assert_eq!(all[0].label, "A-001");
        assert_eq!(all[599].label, "K-060");
        assert_eq!(all[599].number.get(), 600);
        assert_eq!(all.iter().filter(|c| c.within_reach).count(), 250);
        assert_eq!(all.iter().filter(|c| c.size == SizeClass::L).count(), 50);
        let a17 = &all[16];
        assert_eq!((a17.row, a17.column, a17.label.as_str()), (4, 2, "A-017"));
    }

    #[test]
    fn a_box_reads_back_as_the_modules_it_was_built_from() {
        assert_eq!(modules_of(&expand(&default_modules()).unwrap()), default_modules());
        let mixed = vec![
            ModuleLayout {
                name: "Z".into(),
                rows: 3,
                columns: 2,
                reach_rows: vec![1, 3],
                medium_rows: vec![2],
                large_rows: vec![],
            },
            ModuleLayout {
                name: "A1".into(),
                rows: 1,
                columns: 4,
                reach_rows: vec![],
                medium_rows: vec![],
                large_rows: vec![1],
            },
        ];
        let mut shuffled = expand(&mixed).unwrap();
        shuffled.reverse();
        assert_eq!(modules_of(&shuffled), mixed);
        assert_eq!(modules_of(&[]), Vec::<ModuleLayout>::new());
    }

    #[test]
    fn bad_layouts_are_refused() {
        assert_eq!(expand(&[]), Err(LayoutError::Empty));
        let mut twice = default_modules();
        twice[1].name = "A".into();
        assert_eq!(expand(&twice), Err(LayoutError::BadModuleName("A".into())));
        let mut huge = default_modules();
        huge[0].rows = 100_000;
        assert_eq!(expand(&huge), Err(LayoutError::TooLarge));
        let mut beyond = default_modules();
        beyond[2].reach_rows.push(13);
        assert_eq!(expand(&beyond), Err(LayoutError::BadRows("C".into())));
        let mut row_zero = default_modules();
        row_zero[0].large_rows.push(0);
        assert_eq!(expand(&row_zero), Err(LayoutError::BadRows("A".into())));
        let mut flat = default_modules();
        flat[3].columns = 0;
        flat[3].rows = u32::MAX;
        assert_eq!(expand(&flat), Err(LayoutError::EmptyModule("D".into())));
        let typo = serde_json::from_str::<ModuleLayout>(
            r#"{"name":"A","rows":1,"columns":1,"reach_rows":[],"large_row":[1]}"#,
        );
        assert!(typo.unwrap_err().to_string().contains("large_row"), "a misspelt key is refused, not ignored");
        let mut both = default_modules();
        both[1].medium_rows.push(12);
        assert_eq!(expand(&both), Err(LayoutError::BadRows("B".into())));
    }
}
