//! The name field: primary identifier (surname) and secondary identifier (given names) separated by
//! `<<`, parts within each separated by `<`. Truncated names stay truncated: the zone is not the
//! place to learn someone's full name.

/// Splits the name field into the surname (parts joined by spaces) and the given names.
pub(super) fn split_name(field: &str) -> (String, Vec<String>) {
    let (primary, secondary) = field.split_once("<<").unwrap_or((field, ""));
    let parts = |s: &str| -> Vec<String> { s.split('<').filter(|p| !p.is_empty()).map(str::to_string).collect() };
    (parts(primary).join(" "), parts(secondary))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn names(given: &[&str]) -> Vec<String> {
        given.iter().map(|g| g.to_string()).collect()
    }

    #[test]
    fn surname_and_given_names() {
        assert_eq!(split_name("MUSTERMANN<<ERIKA<<<<<<<<<<<<<"), ("MUSTERMANN".into(), names(&["ERIKA"])));
        assert_eq!(split_name("ERIKSSON<<ANNA<MARIA<<<<<<<<<<"), ("ERIKSSON".into(), names(&["ANNA", "MARIA"])));
    }

    #[test]
    fn several_parts() {
        assert_eq!(
            split_name("MUSTER<MANN<VON<ALTEN<<ERIKA<MARIA<LUISE<<<<<<<"),
            ("MUSTER MANN VON ALTEN".into(), names(&["ERIKA", "MARIA", "LUISE"]))
        );
    }

    #[test]
    fn without_given_names() {
        assert_eq!(split_name("MUSTERMANN<<<<<<<<<<<<<<<<<<<<"), ("MUSTERMANN".into(), names(&[])));
        assert_eq!(split_name("MUSTERMANN"), ("MUSTERMANN".into(), names(&[])));
        assert_eq!(split_name("MUSTER<MANN<<<<<"), ("MUSTER MANN".into(), names(&[])));
    }

    #[test]
    fn degenerate_fields() {
        assert_eq!(split_name("<<<<<<<<<<"), (String::new(), names(&[])));
        assert_eq!(split_name("<<ERIKA<<<"), (String::new(), names(&["ERIKA"])));
        assert_eq!(split_name(""), (String::new(), names(&[])));
    }
}
