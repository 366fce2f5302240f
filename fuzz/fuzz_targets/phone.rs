//! Whatever a citizen types or a registry sends as a phone number: normalised or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = abholbox_core::phone::PhoneNumber::parse(text);
        let _ = abholbox_core::phone::PhoneNumber::parse_mobile(text);
    }
});
