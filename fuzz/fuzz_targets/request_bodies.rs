//! Every JSON request body of the API through its route's deserialisation and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    abholbox_http::fuzz_request_bodies(data);
});
