//! Secrets at rest: client bot tokens are sealed with ChaCha20-Poly1305, one-time codes are kept only
//! as an HMAC-SHA256 and checked in constant time. The 32-byte key comes from `M2O_SECRET_KEY` (64 hex
//! characters) or from `secret.key` in the data dir, created on first start with mode 0600. A Mini
//! App's init data is checked against the bot's token in [`init_data`].

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

pub mod init_data;

type HmacSha256 = Hmac<Sha256>;

pub const KEY_FILE: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("M2O_SECRET_KEY must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`")]
    BadKey,
    #[error("{path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
    #[error("a sealed secret could not be opened: wrong M2O_SECRET_KEY or damaged data")]
    Open,
}

/// The process's secret key and what is done with it. `Debug` shows nothing of the key.
#[derive(Clone)]
pub struct Secrets {
    cipher: ChaCha20Poly1305,
    otp_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(***)")
    }
}

impl Secrets {
    pub fn from_hex(hex_key: &str) -> Result<Secrets, CryptoError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Secrets::from_key(key))
    }

    /// Reads the key file in `data_dir`; `None` when there is none.
    pub fn read_key_file(data_dir: &Path) -> Result<Option<Secrets>, CryptoError> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Secrets::from_hex(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(CryptoError::KeyFile { path: path.display().to_string(), source }),
        }
    }

    /// Makes a fresh random key and writes it to the key file in `data_dir` (mode 0600). Only for a
    /// new, empty data dir: see `App::build`.
    pub fn create_key_file(data_dir: &Path) -> Result<Secrets, CryptoError> {
        let path = data_dir.join(KEY_FILE);
        let io = |source| CryptoError::KeyFile { path: path.display().to_string(), source };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let key: [u8; 32] = rand::random();
        write_private(&path, hex::encode(key).as_bytes()).map_err(io)?;
        Secrets::from_hex(&hex::encode(key))
    }

    /// A value that says which key this is without saying anything about it: kept in the store,
    /// so a data dir is never opened with another key (which could read no sealed token).
    pub fn key_check(&self) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.otp_key).expect("HMAC takes any key length");
        mac.update(b"m2o-bot key check v1");
        hex::encode(mac.finalize().into_bytes())
    }

    fn from_key(key: [u8; 32]) -> Secrets {
        // A separate key for code hashes, so a hash never helps an attack on the sealed tokens.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(b"m2o-bot otp key");
        let otp_key = mac.finalize().into_bytes().into();
        Secrets { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)), otp_key }
    }

    /// Seals a secret: hex of a random 12-byte nonce followed by the ciphertext and tag.
    pub fn seal(&self, plaintext: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = self.cipher.encrypt(&nonce, plaintext.as_bytes()).expect("in-memory encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend(ct);
        hex::encode(out)
    }

    pub fn open(&self, sealed: &str) -> Result<String, CryptoError> {
        let bytes = hex::decode(sealed).map_err(|_| CryptoError::Open)?;
        if bytes.len() < 12 {
            return Err(CryptoError::Open);
        }
        let (nonce, ct) = bytes.split_at(12);
        let pt = self.cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| CryptoError::Open)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Open)
    }

    /// The stored form of a one-time code, bound to its contact so a hash is useless for another one.
    pub fn code_hash(&self, contact_id: u64, code: &str) -> String {
        hex::encode(self.code_mac(contact_id, code).finalize().into_bytes())
    }

    /// Constant-time comparison of a typed code against the stored hash.
    pub fn code_matches(&self, contact_id: u64, code: &str, stored_hash: &str) -> bool {
        match hex::decode(stored_hash) {
            Ok(expected) => self.code_mac(contact_id, code).verify_slice(&expected).is_ok(),
            Err(_) => false,
        }
    }

    /// The bearer token an agent uses on our API: derived from the secret key, the agent's name and
    /// a generation (its job id, later a rotation counter), so it can be set again after a restart
    /// without ever being stored. We keep only [`token_hash`] of it.
    pub fn agent_api_token(&self, name: &str, generation: u64) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.otp_key).expect("HMAC takes any key length");
        mac.update(b"agent api token\0");
        mac.update(name.as_bytes());
        mac.update(&generation.to_be_bytes());
        format!("m2o_{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// The webhook's `secret_token` when `M2O_WEBHOOK_SECRET` is not set: derived, so it is the
    /// same after a restart and never stored (64 hex digits: within Telegram's alphabet).
    pub fn webhook_secret(&self) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.otp_key).expect("HMAC takes any key length");
        mac.update(b"telegram webhook secret\0");
        hex::encode(mac.finalize().into_bytes())
    }

    /// What the audit log keeps of a forgotten person's email: a keyed hash, so a later request
    /// about the same address can be matched, but the address cannot be read back.
    pub fn email_hash(&self, email: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.otp_key).expect("HMAC takes any key length");
        mac.update(b"forgotten email\0");
        mac.update(email.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn code_mac(&self, contact_id: u64, code: &str) -> HmacSha256 {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.otp_key).expect("HMAC takes any key length");
        mac.update(&contact_id.to_be_bytes());
        mac.update(code.as_bytes());
        mac
    }
}

/// The stored form of a high-entropy bearer token (a plain SHA-256 is enough: it cannot be guessed).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh six-digit code.
pub fn new_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// Writes a new file only this user may read (0600); an existing file is never overwritten.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_and_differ_each_time() {
        let s = Secrets::from_hex(&"ab".repeat(32)).unwrap();
        let a = s.seal("1234:secret");
        let b = s.seal("1234:secret");
        assert_ne!(a, b);
        assert!(!a.contains("secret"));
        assert_eq!(s.open(&a).unwrap(), "1234:secret");
        let other = Secrets::from_hex(&"cd".repeat(32)).unwrap();
        assert!(other.open(&a).is_err());
        assert!(s.open("zz").is_err());
    }

    #[test]
    fn code_hash_is_bound_to_contact_and_code() {
        let s = Secrets::from_hex(&"ab".repeat(32)).unwrap();
        let h = s.code_hash(7, "123456");
        assert!(s.code_matches(7, "123456", &h));
        assert!(!s.code_matches(8, "123456", &h));
        assert!(!s.code_matches(7, "123457", &h));
        assert!(!h.contains("123456"));
    }

    #[test]
    fn agent_tokens_are_stable_per_generation_and_hashed() {
        let s = Secrets::from_hex(&"ab".repeat(32)).unwrap();
        let a = s.agent_api_token("peter", 1);
        assert_eq!(a, s.agent_api_token("peter", 1));
        assert_ne!(a, s.agent_api_token("peter", 2));
        assert_ne!(a, s.agent_api_token("maya", 1));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(Secrets::from_hex("abc").is_err());
        assert!(Secrets::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Secrets::read_key_file(dir.path()).unwrap().is_none());
        let a = Secrets::create_key_file(dir.path()).unwrap();
        let sealed = a.seal("x");
        let b = Secrets::read_key_file(dir.path()).unwrap().expect("the file is there");
        assert_eq!(b.open(&sealed).unwrap(), "x");
        assert_eq!(a.key_check(), b.key_check());
        assert_ne!(a.key_check(), Secrets::from_hex(&"ab".repeat(32)).unwrap().key_check());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
