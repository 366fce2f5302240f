//! `abholbox mrz parse`: what a reader's text says, as one JSON object, for staff and scripts.

use abholbox_core::mrz::{self, MrzReading};
use chrono::NaiveDate;
use serde_json::{Value, json};

/// Exit codes, part of the command's contract.
pub const VALID: i32 = 0;
pub const INVALID: i32 = 1;
pub const NOT_AN_MRZ: i32 = 2;

/// The JSON object and the exit code for a text.
pub fn parse(text: &str, today: NaiveDate) -> (Value, i32) {
    match mrz::read(text, today) {
        Ok(reading) => {
            let code = if reading.is_valid() { VALID } else { INVALID };
            (describe(&reading), code)
        }
        Err(e) => (
            json!({
                "format": null,
                "valid": false,
                "errors": [{ "field": null, "problem": "not_an_mrz", "message": e.to_string() }],
            }),
            NOT_AN_MRZ,
        ),
    }
}

fn describe(r: &MrzReading) -> Value {
    let errors: Vec<Value> = r
        .errors()
        .iter()
        .map(|f| json!({ "field": f.field().as_str(), "problem": f.problem(), "message": f.to_string() }))
        .collect();
    json!({
        "format": r.format().as_str(),
        "document_code": r.document_code(),
        "issuing_state": r.issuing_state(),
        "document_number": r.document_number(),
        "birth_date": r.birth_date().map(|d| d.format("%Y-%m-%d").to_string()),
        "expiry_date": r.expiry_date().map(|d| d.format("%Y-%m-%d").to_string()),
        "sex": r.sex().map(|s| s.as_str()),
        "nationality": r.nationality(),
        "surname": r.surname(),
        "given_names": r.given_names(),
        "optional_data": r.optional_data(),
        "valid": r.is_valid(),
        "errors": errors,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    const SPECIMEN: &str =
        "IDD<<T220001293<<<<<<<<<<<<<<<\n6408125<2010315D<<<<<<<<<<<<<4\nMUSTERMANN<<ERIKA<<<<<<<<<<<<<\n";

    #[test]
    fn a_valid_zone_is_described_in_full() {
        let (v, code) = parse(SPECIMEN, today());
        assert_eq!(code, VALID);
        assert_eq!(v["format"], "TD1");
        assert_eq!(v["document_code"], "ID");
        assert_eq!(v["issuing_state"], "D");
        assert_eq!(v["document_number"], "T22000129");
        assert_eq!(v["birth_date"], "1964-08-12");
        assert_eq!(v["expiry_date"], "2020-10-31");
        assert_eq!(v["sex"], "X");
        assert_eq!(v["nationality"], "D");
        assert_eq!(v["surname"], "MUSTERMANN");
        assert_eq!(v["given_names"], json!(["ERIKA"]));
        assert_eq!(v["valid"], true);
        assert_eq!(v["errors"], json!([]));
    }

    #[test]
    fn a_wrong_check_digit_is_invalid_not_repaired() {
        let broken = SPECIMEN.replace("T220001293", "T220001294");
        let (v, code) = parse(&broken, today());
        assert_eq!(code, INVALID);
        assert_eq!(v["valid"], false);
        assert_eq!(v["document_number"], "T22000129");
        assert!(v["errors"].as_array().unwrap().iter().any(|e| e["field"] == "document_number"));
    }

    #[test]
    fn text_that_is_no_zone_exits_two() {
        let (v, code) = parse("hello world", today());
        assert_eq!(code, NOT_AN_MRZ);
        assert_eq!(v["valid"], false);
    }
}
