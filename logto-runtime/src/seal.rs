//! Authenticated encryption of cookie values: AES-256-GCM (the `aes-gcm` crate), one key
//! per secret derived with HKDF-SHA256, the cookie's name bound in as associated data so
//! a value cannot be moved from one cookie to another.

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng, Payload},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use sha2::Sha256;

/// Marks the text format, so a later one can be told apart.
const VERSION: &str = "v1.";
/// Marks the bytes format (never `v`, the text format's first byte).
const RAW_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const HKDF_SALT: &[u8] = b"logto-rs cookie encryption";

/// The current key first, then keys of former secrets that may still decrypt.
pub(crate) struct CookieKeys {
    keys: Vec<Aes256Gcm>,
}

impl CookieKeys {
    /// `secrets` is non-empty and validated by the caller.
    pub(crate) fn derive(secrets: &[String]) -> Self {
        let keys = secrets
            .iter()
            .map(|secret| {
                let mut key = [0u8; 32];
                // 32 bytes is far below HKDF-SHA256's 8160-byte output limit.
                let _ = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret.as_bytes())
                    .expand(b"aes-256-gcm", &mut key);
                Aes256Gcm::new(&key.into())
            })
            .collect();
        Self { keys }
    }

    /// Encrypts `plaintext` for the cookie called `name`: text, for a cookie.
    pub(crate) fn seal(&self, name: &str, plaintext: &[u8]) -> String {
        format!(
            "{VERSION}{}",
            URL_SAFE_NO_PAD.encode(self.seal_raw(name, plaintext))
        )
    }

    /// Encrypts `plaintext` under `name` to bytes, for a store that keeps bytes: a
    /// quarter smaller than [`seal`](Self::seal)'s base64url.
    pub(crate) fn seal_bytes(&self, name: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut bytes = vec![RAW_VERSION];
        bytes.extend_from_slice(&self.seal_raw(name, plaintext));
        bytes
    }

    /// The nonce, then the ciphertext and its tag.
    fn seal_raw(&self, name: &str, plaintext: &[u8]) -> Vec<u8> {
        let Some(key) = self.keys.first() else {
            return Vec::new();
        };
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext,
            aad: name.as_bytes(),
        };
        // Encryption fails only for messages beyond GCM's 64 GiB limit.
        let ciphertext = key.encrypt(&nonce, payload).unwrap_or_default();
        let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        bytes
    }

    /// Decrypts a value sealed for the cookie `name` by the current or a former secret;
    /// `None` for anything tampered, truncated or foreign.
    pub(crate) fn open(&self, name: &str, value: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(value.strip_prefix(VERSION)?).ok()?;
        self.open_raw(name, &bytes)
    }

    /// Decrypts what [`seal_bytes`](Self::seal_bytes) sealed under `name`, or what
    /// [`seal`](Self::seal) did (records stored before stores held raw bytes).
    pub(crate) fn open_bytes(&self, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
        match bytes.split_first()? {
            (&RAW_VERSION, sealed) => self.open_raw(name, sealed),
            _ => self.open(name, std::str::from_utf8(bytes).ok()?),
        }
    }

    fn open_raw(&self, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
        if bytes.len() < NONCE_LEN + 16 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        // From an array, not `from_slice`: generic-array 0.14.8+ deprecates its slice
        // constructors (our lints would fail after a `cargo update`).
        let nonce = Nonce::from(<[u8; NONCE_LEN]>::try_from(nonce).ok()?);
        self.keys.iter().find_map(|key| {
            key.decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secrets: &[&str]) -> CookieKeys {
        CookieKeys::derive(&secrets.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    const A: &str = "a-secret-of-at-least-thirty-two-characters";
    const B: &str = "another-secret-of-at-least-thirty-two-chars";

    #[test]
    fn round_trip_and_fresh_nonces() {
        let k = keys(&[A]);
        let one = k.seal("c", b"hello");
        let two = k.seal("c", b"hello");
        assert_ne!(one, two);
        assert_eq!(k.open("c", &one).as_deref(), Some(&b"hello"[..]));
    }

    #[test]
    fn tampering_another_name_or_secret_fails() {
        let k = keys(&[A]);
        let sealed = k.seal("c", b"hello");
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(k.open("c", std::str::from_utf8(&tampered).unwrap()), None);
        assert_eq!(k.open("other", &sealed), None);
        assert_eq!(keys(&[B]).open("c", &sealed), None);
        assert_eq!(k.open("c", "v1."), None);
        assert_eq!(k.open("c", "garbage"), None);
    }

    #[test]
    fn bytes_round_trip_and_the_text_form_still_opens() {
        let k = keys(&[A]);
        let raw = k.seal_bytes("c", b"hello");
        let text = k.seal("c", b"hello");
        // The marker, the nonce, the plaintext and the tag: no base64.
        assert_eq!(raw.len(), 1 + NONCE_LEN + 5 + 16);
        assert_eq!(k.open_bytes("c", &raw).as_deref(), Some(&b"hello"[..]));
        assert_eq!(
            k.open_bytes("c", text.as_bytes()).as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(k.open_bytes("other", &raw), None);
        let mut tampered = raw.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(k.open_bytes("c", &tampered), None);
        assert_eq!(k.open_bytes("c", &raw[..raw.len() - 1]), None);
        assert_eq!(k.open_bytes("c", &[]), None);
        assert_eq!(k.open_bytes("c", &[RAW_VERSION]), None);
        assert_eq!(k.open_bytes("c", &[0xff; 40]), None);
    }

    #[test]
    fn former_secrets_still_open_and_the_current_one_seals() {
        let old = keys(&[A]).seal("c", b"x");
        let rotated = keys(&[B, A]);
        assert_eq!(rotated.open("c", &old).as_deref(), Some(&b"x"[..]));
        let new = rotated.seal("c", b"y");
        assert_eq!(keys(&[B]).open("c", &new).as_deref(), Some(&b"y"[..]));
        assert_eq!(keys(&[A]).open("c", &new), None);
    }
}
