//! The service's keys and every keyed hash made with them, in one place.
//!
//! A key file is created at first start with mode 0600 and holds one key per purpose: PIN hashes,
//! lookup hashes of phone numbers, and (next) encryption of personal data. Keeping purposes apart
//! means a leaked lookup key does not help with PINs. Every stored hash names the id of the key that
//! made it, so a new key can be added and old hashes still verify. Comparisons are constant time.

use std::io::Write;
use std::path::Path;

use abholbox_core::phone::PhoneNumber;
use abholbox_core::pin::Pin;
use abholbox_store::{KeyedHash, PinHash};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read or write the key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the key file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
    #[error("the key file {path} is readable by other users (mode {mode:o}); make it 0600")]
    TooOpen { path: String, mode: u32 },
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredKey {
    id: String,
    /// Hex of 32 random bytes.
    secret: String,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    pin: Vec<StoredKey>,
    lookup: Vec<StoredKey>,
    data: Vec<StoredKey>,
}

#[derive(Clone)]
struct Key {
    id: String,
    bytes: Vec<u8>,
}

/// The loaded keys. `Debug` shows key ids only.
#[derive(Clone)]
pub struct KeyRing {
    pin: Vec<Key>,
    lookup: Vec<Key>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids = |ks: &[Key]| ks.iter().map(|k| k.id.clone()).collect::<Vec<_>>();
        write!(f, "KeyRing(pin: {:?}, lookup: {:?})", ids(&self.pin), ids(&self.lookup))
    }
}

fn new_key(purpose: &str) -> StoredKey {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    StoredKey { id: format!("{purpose}-1"), secret: hex::encode(bytes) }
}

fn mac(key: &Key, parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes keys of any length, so this cannot fail; an empty result would never verify.
    match HmacSha256::new_from_slice(&key.bytes) {
        Ok(mut m) => {
            for p in parts {
                m.update(&(p.len() as u64).to_be_bytes());
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

impl KeyRing {
    /// A fingerprint of the keys that PINs and phone numbers are checked with: the same key file gives
    /// the same fingerprint, and nothing about the keys can be learned from it. Servers sharing a
    /// database compare it, so that one started with the wrong key file refuses instead of sending
    /// PINs nobody else can check.
    pub fn fingerprint(&self) -> String {
        let parts: Vec<Vec<u8>> = self
            .pin
            .iter()
            .chain(&self.lookup)
            .map(|k| mac(k, &[b"abholbox key fingerprint", k.id.as_bytes()]))
            .collect();
        let joined: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        hex::encode(Sha256::digest(joined.concat()))
    }

    /// Loads the key file, creating it (mode 0600) on first start.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyFileError> {
        let shown = path.display().to_string();
        let io = |source| KeyFileError::Io { path: shown.clone(), source };
        if !path.exists() {
            let file = KeyFile {
                version: 1,
                pin: vec![new_key("pin")],
                lookup: vec![new_key("lookup")],
                data: vec![new_key("data")],
            };
            let text = serde_json::to_string_pretty(&file)
                .map_err(|e| KeyFileError::Invalid { path: shown.clone(), reason: e.to_string() })?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(path).map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyFileError::TooOpen { path: shown, mode });
            }
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let file: KeyFile = serde_json::from_str(&text)
            .map_err(|e| KeyFileError::Invalid { path: shown.clone(), reason: e.to_string() })?;
        let keys = |stored: &[StoredKey], purpose: &str| -> Result<Vec<Key>, KeyFileError> {
            let keys = stored
                .iter()
                .map(|k| {
                    let bytes =
                        hex::decode(&k.secret).ok().filter(|b| b.len() >= 32).ok_or_else(|| KeyFileError::Invalid {
                            path: shown.clone(),
                            reason: format!("key {} is not 32 hex bytes", k.id),
                        })?;
                    Ok(Key { id: k.id.clone(), bytes })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                return Err(KeyFileError::Invalid { path: shown.clone(), reason: format!("no {purpose} key") });
            }
            Ok(keys)
        };
        Ok(Self { pin: keys(&file.pin, "pin")?, lookup: keys(&file.lookup, "lookup")? })
    }

    fn current(keys: &[Key]) -> Option<&Key> {
        keys.last()
    }

    fn by_id<'a>(keys: &'a [Key], id: &str) -> Option<&'a Key> {
        keys.iter().find(|k| k.id == id)
    }

    /// The lookup hash of a phone number under the current key: how pickups are found by number
    /// without storing the number where it is searched.
    pub fn phone_lookup(&self, phone: &PhoneNumber) -> KeyedHash {
        let (key_id, hash) = match Self::current(&self.lookup) {
            Some(k) => (k.id.clone(), mac(k, &[b"phone", phone.e164().as_bytes()])),
            None => (String::new(), Vec::new()),
        };
        KeyedHash { key_id, hash }
    }

    /// Hashes a new PIN with a fresh salt under the current PIN key.
    pub fn hash_pin(&self, pin: &Pin) -> PinHash {
        let mut salt = vec![0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        match Self::current(&self.pin) {
            Some(k) => PinHash { key_id: k.id.clone(), hash: mac(k, &[b"pin", &salt, pin.expose().as_bytes()]), salt },
            None => PinHash { key_id: String::new(), salt, hash: Vec::new() },
        }
    }

    /// Whether a typed PIN matches a stored hash, compared in constant time. An unknown key id or an
    /// empty hash never matches.
    pub fn verify_pin(&self, stored: &PinHash, pin: &Pin) -> bool {
        let Some(key) = Self::by_id(&self.pin, &stored.key_id) else {
            return false;
        };
        let computed = mac(key, &[b"pin", &stored.salt, pin.expose().as_bytes()]);
        !stored.hash.is_empty() && bool::from(computed.ct_eq(&stored.hash))
    }

    /// Does the work of one PIN check against nothing, so that an unknown phone number costs the same
    /// time as a known one with a wrong PIN.
    pub fn verify_pin_against_nothing(&self, pin: &Pin) {
        if let Some(k) = Self::current(&self.pin) {
            let computed = mac(k, &[b"pin", &[0u8; 16], pin.expose().as_bytes()]);
            let _ = computed.ct_eq(&[0u8; 32]);
        }
    }
}

/// Compares two secrets (birth dates, document numbers) in constant time for equal lengths.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// API tokens are long random strings, so a plain SHA-256 is enough to store them without the token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new API token: a prefix that says what it is, then 256 random bits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("abx_{}", hex::encode(bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use abholbox_core::pin::PinPolicy;

    fn ring(dir: &Path) -> KeyRing {
        KeyRing::load_or_create(&dir.join("keys.json")).unwrap()
    }

    #[test]
    fn the_key_file_is_created_private_and_reloaded_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let first = ring(dir.path());
        let again = ring(dir.path());
        let phone = PhoneNumber::parse("0151 23456701").unwrap();
        assert_eq!(first.phone_lookup(&phone), again.phone_lookup(&phone));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        ring(dir.path());
        let path = dir.path().join("keys.json");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(KeyRing::load_or_create(&path), Err(KeyFileError::TooOpen { .. })));
    }

    #[test]
    fn pins_verify_only_against_their_own_hash() {
        let dir = tempfile::tempdir().unwrap();
        let keys = ring(dir.path());
        let policy = PinPolicy::default();
        let right = policy.parse("482913").unwrap();
        let wrong = policy.parse("482914").unwrap();
        let stored = keys.hash_pin(&right);
        assert!(keys.verify_pin(&stored, &right));
        assert!(!keys.verify_pin(&stored, &wrong));
        assert_ne!(keys.hash_pin(&right).hash, stored.hash, "salted: the same PIN hashes differently");
        let other_keys = ring(tempfile::tempdir().unwrap().path());
        assert!(!other_keys.verify_pin(&stored, &right), "a different key never verifies");
        let unknown = PinHash { key_id: "pin-9".into(), ..stored };
        assert!(!keys.verify_pin(&unknown, &right));
    }

    #[test]
    fn lookup_hashes_separate_numbers_and_hide_them() {
        let keys = ring(tempfile::tempdir().unwrap().path());
        let a = keys.phone_lookup(&PhoneNumber::parse("015123456701").unwrap());
        let b = keys.phone_lookup(&PhoneNumber::parse("015123456702").unwrap());
        assert_ne!(a.hash, b.hash);
        assert!(!hex::encode(&a.hash).contains("4915123456701"));
        assert_eq!(a.key_id, "lookup-1");
    }

    #[test]
    fn tokens_are_long_and_hash_stably() {
        let t = new_token();
        assert!(t.starts_with("abx_") && t.len() == 68);
        assert_eq!(token_hash(&t), token_hash(&t));
        assert_ne!(token_hash(&t), token_hash(&new_token()));
    }

    #[test]
    fn secret_comparison_is_exact() {
        assert!(secrets_equal("T22000129", "T22000129"));
        assert!(!secrets_equal("T22000129", "T22000128"));
        assert!(!secrets_equal("T22000129", "T2200012"));
    }
}
