//! The service's keys and every keyed hash made with them, in one place.
//!
//! A key file is created at first start with mode 0600 and holds keys per purpose: PIN hashes, lookup
//! hashes of phone numbers, encryption of personal data (`data`) and the audit log's chain (`audit`).
//! Keeping purposes apart means a leaked lookup key does not help with PINs. Every stored hash or
//! sealed value names the id of the key that made it, so a new key can be added (the newest of a
//! purpose is the one in use) and what older keys made still verifies or opens. Comparisons are
//! constant time.

use std::io::Write;
use std::path::Path;

use abholbox_core::phone::PhoneNumber;
use abholbox_core::pin::Pin;
use abholbox_store::{CLEAR_KEY_ID, KeyedHash, PinHash, Sealed};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
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
    #[error("no such key purpose {0:?}: use pin, lookup, data or audit")]
    UnknownPurpose(String),
}

/// Why a sealed value did not open.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("no data key {0:?} in the key file: give this server the key file the value was sealed with")]
    UnknownKey(String),
    #[error(
        "a value sealed under key {0:?} does not open: it was altered or moved, or the key is not the one it was sealed with"
    )]
    Altered(String),
    #[error("an opened value is not in the expected form")]
    Form,
}

/// The purposes a key file holds keys for.
pub const KEY_PURPOSES: [&str; 4] = ["pin", "lookup", "data", "audit"];

#[derive(Clone, Serialize, Deserialize)]
struct StoredKey {
    id: String,
    /// Hex of 32 random bytes.
    secret: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    version: u32,
    pin: Vec<StoredKey>,
    lookup: Vec<StoredKey>,
    data: Vec<StoredKey>,
    /// Added after the first key files were made: a file without it gets one at the next start.
    #[serde(default)]
    audit: Vec<StoredKey>,
}

impl KeyFile {
    fn purpose_mut(&mut self, purpose: &str) -> Option<&mut Vec<StoredKey>> {
        match purpose {
            "pin" => Some(&mut self.pin),
            "lookup" => Some(&mut self.lookup),
            "data" => Some(&mut self.data),
            "audit" => Some(&mut self.audit),
            _ => None,
        }
    }
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
    data: Vec<Key>,
    audit: Vec<Key>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids = |ks: &[Key]| ks.iter().map(|k| k.id.clone()).collect::<Vec<_>>();
        write!(
            f,
            "KeyRing(pin: {:?}, lookup: {:?}, data: {:?}, audit: {:?})",
            ids(&self.pin),
            ids(&self.lookup),
            ids(&self.data),
            ids(&self.audit)
        )
    }
}

/// A new key for `purpose`, numbered after the ones it already has.
fn new_key(purpose: &str, existing: &[StoredKey]) -> StoredKey {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let highest = existing
        .iter()
        .filter_map(|k| k.id.strip_prefix(purpose)?.strip_prefix('-')?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    StoredKey { id: format!("{purpose}-{}", highest + 1), secret: hex::encode(bytes) }
}

/// Writes the key file whole or not at all: a new file beside it, synced, then renamed over it.
fn write_key_file(path: &Path, file: &KeyFile) -> Result<(), KeyFileError> {
    let shown = path.display().to_string();
    let io = |source| KeyFileError::Io { path: shown.clone(), source };
    let text = serde_json::to_string_pretty(file)
        .map_err(|e| KeyFileError::Invalid { path: shown.clone(), reason: e.to_string() })?;
    let tmp = path.with_extension("json.new");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
        dir.sync_all().map_err(io)?;
    }
    Ok(())
}

/// Adds a new key for `purpose` to the key file; it is used from the next start on, and the older
/// keys stay to verify and open what they made. Returns the new key's id.
pub fn rotate_key(path: &Path, purpose: &str) -> Result<String, KeyFileError> {
    KeyRing::load_or_create(path)?;
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io { path: shown.clone(), source })?;
    let mut file: KeyFile = serde_json::from_str(&text)
        .map_err(|e| KeyFileError::Invalid { path: shown.clone(), reason: e.to_string() })?;
    let keys = file.purpose_mut(purpose).ok_or_else(|| KeyFileError::UnknownPurpose(purpose.to_owned()))?;
    let key = new_key(purpose, keys);
    let id = key.id.clone();
    keys.push(key);
    write_key_file(path, &file)?;
    Ok(id)
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
        Self::fingerprint_of(self.pin.iter().chain(&self.lookup).chain(&self.data).chain(&self.audit))
    }

    /// The fingerprint as servers before sealed personal data computed it (PIN and lookup keys only),
    /// so that a database they agreed on is taken over instead of refused.
    pub fn fingerprint_before_sealing(&self) -> String {
        Self::fingerprint_of(self.pin.iter().chain(&self.lookup))
    }

    fn fingerprint_of<'a>(keys: impl Iterator<Item = &'a Key>) -> String {
        let parts: Vec<Vec<u8>> = keys.map(|k| mac(k, &[b"abholbox key fingerprint", k.id.as_bytes()])).collect();
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
                pin: vec![new_key("pin", &[])],
                lookup: vec![new_key("lookup", &[])],
                data: vec![new_key("data", &[])],
                audit: vec![new_key("audit", &[])],
            };
            write_key_file(path, &file)?;
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
        let mut file: KeyFile = serde_json::from_str(&text)
            .map_err(|e| KeyFileError::Invalid { path: shown.clone(), reason: e.to_string() })?;
        if file.audit.is_empty() {
            file.audit.push(new_key("audit", &[]));
            write_key_file(path, &file)?;
        }
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
            if let Some(twice) = keys.iter().enumerate().find(|(i, k)| keys.iter().skip(i + 1).any(|o| o.id == k.id)) {
                return Err(KeyFileError::Invalid {
                    path: shown.clone(),
                    reason: format!("the {purpose} key id {} is there twice", twice.1.id),
                });
            }
            Ok(keys)
        };
        Ok(Self {
            pin: keys(&file.pin, "pin")?,
            lookup: keys(&file.lookup, "lookup")?,
            data: keys(&file.data, "data")?,
            audit: keys(&file.audit, "audit")?,
        })
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

    /// The token a gateway's report URL carries for one message (Kannel's `dlr-url`): only whoever
    /// was given that URL can report on that message, and on no other.
    pub fn report_token(&self, message_id: &str) -> String {
        match Self::current(&self.lookup) {
            Some(k) => hex::encode(mac(k, &[b"sms report", message_id.as_bytes()]).get(..16).unwrap_or_default()),
            None => String::new(),
        }
    }

    /// Whether `token` is the report token of `message_id` under any lookup key (one rotated since
    /// the message was sent included), compared in constant time.
    pub fn report_token_valid(&self, message_id: &str, token: &str) -> bool {
        let mut valid = false;
        for key in &self.lookup {
            let expected = hex::encode(mac(key, &[b"sms report", message_id.as_bytes()]).get(..16).unwrap_or_default());
            valid |= !token.is_empty() && bool::from(expected.as_bytes().ct_eq(token.as_bytes()));
        }
        valid
    }

    /// The id of the lookup key new phone hashes are made with.
    pub fn lookup_key_id(&self) -> &str {
        Self::current(&self.lookup).map(|k| k.id.as_str()).unwrap_or_default()
    }

    /// The id of the data key new values are sealed with.
    pub fn data_key_id(&self) -> &str {
        Self::current(&self.data).map(|k| k.id.as_str()).unwrap_or_default()
    }

    /// Encrypts and authenticates `plain` under the current data key. `context` (table and row) is
    /// authenticated with it, so a value copied into another row does not open there.
    pub fn seal(&self, context: &[u8], plain: &[u8]) -> Result<Sealed, SealError> {
        let key = Self::current(&self.data).ok_or_else(|| SealError::UnknownKey(String::new()))?;
        let cipher = cipher(key)?;
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: context })
            .map_err(|_| SealError::Altered(key.id.clone()))?;
        Ok(Sealed { key_id: key.id.clone(), bytes: [nonce.as_slice(), &sealed].concat() })
    }

    /// Opens a sealed value with the key it names. A value from before sealing comes back as it was.
    pub fn open(&self, context: &[u8], sealed: &Sealed) -> Result<Vec<u8>, SealError> {
        if sealed.key_id == CLEAR_KEY_ID {
            return Ok(sealed.bytes.clone());
        }
        let key =
            Self::by_id(&self.data, &sealed.key_id).ok_or_else(|| SealError::UnknownKey(sealed.key_id.clone()))?;
        let (nonce, body) = sealed.bytes.split_at_checked(24).ok_or_else(|| SealError::Altered(key.id.clone()))?;
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Altered(key.id.clone()))?;
        cipher(key)?
            .decrypt(&nonce, Payload { msg: body, aad: context })
            .map_err(|_| SealError::Altered(key.id.clone()))
    }

    /// The seal of an audit entry as it is written, under the current audit key.
    pub fn audit_seal(&self, entry: &[u8]) -> KeyedHash {
        match Self::current(&self.audit) {
            Some(k) => KeyedHash { key_id: k.id.clone(), hash: mac(k, &[b"audit entry", entry]) },
            None => KeyedHash { key_id: String::new(), hash: Vec::new() },
        }
    }

    /// Whether `seal` is the seal of `entry` under the audit key it names.
    pub fn audit_sealed(&self, entry: &[u8], seal: &KeyedHash) -> bool {
        let Some(key) = Self::by_id(&self.audit, &seal.key_id) else {
            return false;
        };
        !seal.hash.is_empty() && bool::from(mac(key, &[b"audit entry", entry]).ct_eq(&seal.hash))
    }

    /// The keyed hash that chains an audit entry to the one before, under the current audit key; see
    /// [`KeyRing::audit_links`] for checking.
    pub fn audit_link(&self, previous: &[u8], entry: &[u8]) -> KeyedHash {
        match Self::current(&self.audit) {
            Some(k) => KeyedHash { key_id: k.id.clone(), hash: mac(k, &[b"audit", previous, entry]) },
            None => KeyedHash { key_id: String::new(), hash: Vec::new() },
        }
    }

    /// Whether `link` is the chain hash of `entry` after `previous`, under the audit key it names.
    pub fn audit_links(&self, previous: &[u8], entry: &[u8], link: &KeyedHash) -> bool {
        let Some(key) = Self::by_id(&self.audit, &link.key_id) else {
            return false;
        };
        let computed = mac(key, &[b"audit", previous, entry]);
        !link.hash.is_empty() && bool::from(computed.ct_eq(&link.hash))
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

fn cipher(key: &Key) -> Result<XChaCha20Poly1305, SealError> {
    let bytes = key.bytes.get(..32).ok_or_else(|| SealError::UnknownKey(key.id.clone()))?;
    XChaCha20Poly1305::new_from_slice(bytes).map_err(|_| SealError::UnknownKey(key.id.clone()))
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
