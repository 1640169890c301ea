//! The binary form of a [`SessionData`], sealed into the session cookie or a store's
//! record: about half the bytes of the JSON it replaces.
//!
//! Where the bytes go:
//! - A token's text is kept exactly (the token handed out is byte-identical to what
//!   the provider sent), in the smallest of three forms: a JWT as its three
//!   base64url parts packed at six bits a character (the bytes they encode, plus at
//!   most one), a header already stored for an earlier JWT of the record by its index
//!   (the provider signs every token with one key); any other base64url text (opaque
//!   tokens) packed likewise; anything else as UTF-8.
//! - What a JWT already says is not stored again when it says it exactly: the expiry
//!   (a small offset from `exp`, the difference between our clock and the provider's),
//!   the scopes (the `scope` claim), the key of a resource or organization token
//!   (`<aud>#`, `#<organization_id>`) and the session's `sid` (the ID token's).
//! - Integers are LEB128 varints, signed ones zigzagged.
//!
//! Nothing is compressed: a record mixes secrets with text a user controls (a name),
//! and compression would leak one through the length of the other.
//!
//! A record starts with [`FORMAT`]; the JSON of earlier versions starts with `{`, and
//! [`decode`] still reads it, so sessions sealed before the upgrade stay signed in.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;

use super::{CachedUserinfo, SessionData, StoredToken};

mod payload;

/// The first byte of a binary session record (never `{`, the JSON of earlier versions).
pub(crate) const FORMAT: u8 = 1;

/// Why bytes are not a session.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    /// The record ends before its last field.
    #[error("the record is truncated")]
    Truncated,
    /// Bytes follow the last field.
    #[error("the record has trailing bytes")]
    Trailing,
    /// A first byte of no format this version reads.
    #[error("unknown session format {0:#04x}")]
    UnknownFormat(u8),
    /// A field holds what no encoder writes.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A record of the JSON format that did not parse.
    #[error("invalid JSON session: {0}")]
    Json(#[from] serde_json::Error),
}

/// `data` as a binary record.
pub(crate) fn encode(data: &SessionData) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes.push(FORMAT);
    let id = w.token(&data.id_token);
    match &data.refresh_token {
        Some(token) => {
            w.bytes.push(1);
            w.token(token);
        }
        None => w.bytes.push(0),
    }
    match &data.access_token {
        Some(token) => {
            w.bytes.push(1);
            w.stored_token(token);
        }
        None => w.bytes.push(0),
    }
    w.unsigned(data.tokens.len() as u64);
    for (key, token) in &data.tokens {
        let derived = w.stored_token(token);
        if derived.key().as_deref() == Some(key.as_str()) {
            w.bytes.push(1);
        } else {
            w.bytes.push(0);
            w.str(key);
        }
    }
    match &data.userinfo {
        Some(userinfo) => {
            w.bytes.push(1);
            // Claims are JSON values of any shape: kept as the JSON they came as.
            w.str(&serde_json::Value::Object(userinfo.claims.clone()).to_string());
            w.signed(userinfo.expires_at);
        }
        None => w.bytes.push(0),
    }
    w.relative(data.id_expires_at, id.exp);
    w.signed(data.issued_at);
    w.signed(data.expires_at);
    match &data.sid {
        None => w.bytes.push(0),
        Some(sid) if id.sid.as_ref() == Some(sid) => w.bytes.push(1),
        Some(sid) => {
            w.bytes.push(2);
            w.str(sid);
        }
    }
    w.signed(data.signed_in_at);
    w.bytes
}

/// The session in `bytes`: a binary record, or the JSON of earlier versions.
pub(crate) fn decode(bytes: &[u8]) -> Result<SessionData, DecodeError> {
    match bytes.first() {
        Some(&FORMAT) => decode_binary(&bytes[1..]),
        Some(b'{') => Ok(serde_json::from_slice(bytes)?),
        Some(&other) => Err(DecodeError::UnknownFormat(other)),
        None => Err(DecodeError::Truncated),
    }
}

fn decode_binary(bytes: &[u8]) -> Result<SessionData, DecodeError> {
    let mut r = Reader {
        bytes,
        headers: Vec::new(),
        claims: Vec::new(),
    };
    let (id_token, id) = r.token()?;
    let refresh_token = match r.flag(1)? {
        1 => Some(r.token()?.0),
        _ => None,
    };
    let access_token = match r.flag(1)? {
        1 => Some(r.stored_token()?.0),
        _ => None,
    };
    let mut tokens = BTreeMap::new();
    for _ in 0..r.count()? {
        let (token, derived) = r.stored_token()?;
        let key = match r.flag(1)? {
            1 => derived.key().ok_or(DecodeError::Invalid("derived key"))?,
            _ => r.str()?.to_owned(),
        };
        if tokens.insert(key, token).is_some() {
            return Err(DecodeError::Invalid("repeated token key"));
        }
    }
    let userinfo = match r.flag(1)? {
        1 => Some(CachedUserinfo {
            claims: serde_json::from_str(r.str()?)?,
            expires_at: r.signed()?,
        }),
        _ => None,
    };
    let id_expires_at = r.relative(id.exp)?;
    let issued_at = r.signed()?;
    let expires_at = r.signed()?;
    let sid = match r.flag(2)? {
        0 => None,
        1 => Some(id.sid.ok_or(DecodeError::Invalid("derived sid"))?),
        _ => Some(r.str()?.to_owned()),
    };
    let signed_in_at = r.signed()?;
    if !r.bytes.is_empty() {
        return Err(DecodeError::Trailing);
    }
    Ok(SessionData {
        id_token,
        refresh_token,
        access_token,
        tokens,
        userinfo,
        id_expires_at,
        issued_at,
        expires_at,
        sid,
        signed_in_at,
    })
}

/// What a token's JWT payload says that a record need not repeat. Empty for anything
/// else (an opaque token, a payload that is not such JSON): the encoder then stores
/// the values, and the decoder, reading the same bytes, derives the same nothing.
#[derive(Debug, Default, Deserialize)]
struct Derived {
    exp: Option<i64>,
    scope: Option<String>,
    aud: Option<serde_json::Value>,
    organization_id: Option<String>,
    sid: Option<String>,
}

impl Derived {
    fn of(token: &str) -> Self {
        let mut parts = token.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Self::default();
        };
        URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .unwrap_or_default()
    }

    /// The session's key of the token (`<resource>#<organization>`), as the token
    /// requested it: an organization token names its organization, a resource token
    /// its resource as the one audience.
    fn key(&self) -> Option<String> {
        match (&self.organization_id, &self.aud) {
            (Some(organization), _) => Some(format!("#{organization}")),
            (None, Some(serde_json::Value::String(aud))) => Some(format!("{aud}#")),
            _ => None,
        }
    }
}

/// Whether `text` is made of base64url characters only.
fn is_base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The bytes of `n` characters packed at six bits each.
fn packed_len(n: usize) -> Option<usize> {
    n.checked_mul(6).map(|bits| bits.div_ceil(8))
}

/// Base64url `text` (any length, any final character) at six bits a character:
/// `A`, which is zero, fills the last quad and is cut off again. Exact for every such
/// text, unlike a base64 decode, which drops a non-canonical last character's bits.
fn pack(text: &str) -> Vec<u8> {
    let mut padded = text.to_owned();
    while !padded.len().is_multiple_of(4) {
        padded.push('A');
    }
    let mut bytes = URL_SAFE_NO_PAD.decode(padded).unwrap_or_default();
    bytes.truncate(packed_len(text.len()).unwrap_or(0));
    bytes
}

/// The `n` characters [`pack`] packed into `bytes`.
fn unpack(bytes: &[u8], n: usize) -> String {
    let mut full = bytes.to_vec();
    full.resize(n.div_ceil(4) * 3, 0);
    let mut text = URL_SAFE_NO_PAD.encode(full);
    text.truncate(n);
    text
}

/// A token's forms (and a JWT payload's: packed text, or claims).
const TEXT: u8 = 0;
const BASE64URL: u8 = 1;
const JWT: u8 = 2;
const CLAIMS: u8 = 2;

#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    /// The JWT headers written so far, which later JWTs refer to by index.
    headers: Vec<String>,
    /// The claims later JWT payloads may refer to by index (see `payload`).
    claims: Vec<String>,
}

impl Writer {
    fn unsigned(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }

    fn signed(&mut self, value: i64) {
        self.unsigned(((value << 1) ^ (value >> 63)) as u64);
    }

    /// `value` as an offset from `base` when there is one (wrapping: every pair of
    /// values has an offset, and the decoder adds it back exactly).
    fn relative(&mut self, value: i64, base: Option<i64>) {
        match base {
            Some(base) => {
                self.bytes.push(1);
                self.signed(value.wrapping_sub(base));
            }
            None => {
                self.bytes.push(0);
                self.signed(value);
            }
        }
    }

    fn str(&mut self, text: &str) {
        self.unsigned(text.len() as u64);
        self.bytes.extend_from_slice(text.as_bytes());
    }

    fn packed(&mut self, text: &str) {
        self.unsigned(text.len() as u64);
        self.bytes.extend_from_slice(&pack(text));
    }

    /// Writes a token's text; returns what its payload says.
    fn token(&mut self, token: &str) -> Derived {
        let mut parts = token.split('.');
        if let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
            && is_base64url(header)
            && is_base64url(payload)
            && is_base64url(signature)
        {
            self.bytes.push(JWT);
            match self.headers.iter().position(|h| h == header) {
                Some(index) => self.unsigned(index as u64 + 1),
                None => {
                    self.unsigned(0);
                    self.packed(header);
                    self.headers.push(header.to_owned());
                }
            }
            // A canonical base64url payload as its claims, else as packed text.
            let json = URL_SAFE_NO_PAD.decode(payload).ok();
            self.bytes.push(CLAIMS);
            if !json.is_some_and(|json| self.claims(&json)) {
                self.bytes.pop();
                self.bytes.push(BASE64URL);
                self.packed(payload);
            }
            self.packed(signature);
            return Derived::of(token);
        }
        if !token.is_empty() && is_base64url(token) {
            self.bytes.push(BASE64URL);
            self.packed(token);
        } else {
            self.bytes.push(TEXT);
            self.str(token);
        }
        Derived::default()
    }

    /// Writes an access token and what is not in it; returns what it says.
    fn stored_token(&mut self, token: &StoredToken) -> Derived {
        let derived = self.token(&token.token);
        match &token.scope {
            None => self.bytes.push(0),
            Some(scope) if derived.scope.as_ref() == Some(scope) => self.bytes.push(1),
            Some(scope) => {
                self.bytes.push(2);
                self.str(scope);
            }
        }
        self.relative(token.expires_at, derived.exp);
        // The refresh leeway, a few minutes at most.
        self.signed(token.expires_at.wrapping_sub(token.refresh_at));
        derived
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    headers: Vec<String>,
    claims: Vec<String>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.bytes.len() {
            return Err(DecodeError::Truncated);
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// A tag byte of at most `max`.
    fn flag(&mut self, max: u8) -> Result<u8, DecodeError> {
        let flag = self.byte()?;
        if flag > max {
            return Err(DecodeError::Invalid("tag"));
        }
        Ok(flag)
    }

    fn unsigned(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::Invalid("varint"))
    }

    fn signed(&mut self) -> Result<i64, DecodeError> {
        let value = self.unsigned()?;
        Ok(((value >> 1) as i64) ^ -((value & 1) as i64))
    }

    fn relative(&mut self, base: Option<i64>) -> Result<i64, DecodeError> {
        match (self.flag(1)?, base) {
            (0, _) => self.signed(),
            (_, Some(base)) => Ok(base.wrapping_add(self.signed()?)),
            (_, None) => Err(DecodeError::Invalid("relative time")),
        }
    }

    /// A length or count, which can never exceed the bytes left (each item takes one).
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.unsigned()?;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.bytes.len())
            .ok_or(DecodeError::Truncated)
    }

    fn str(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.count()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| DecodeError::Invalid("UTF-8"))
    }

    fn packed(&mut self) -> Result<String, DecodeError> {
        let n = self.unsigned()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::Truncated)?;
        let len = packed_len(n).ok_or(DecodeError::Truncated)?;
        Ok(unpack(self.take(len)?, n))
    }

    fn token(&mut self) -> Result<(String, Derived), DecodeError> {
        match self.flag(JWT)? {
            TEXT => Ok((self.str()?.to_owned(), Derived::default())),
            BASE64URL => Ok((self.packed()?, Derived::default())),
            _ => {
                let header = match self.unsigned()? {
                    0 => {
                        let header = self.packed()?;
                        self.headers.push(header.clone());
                        header
                    }
                    index => usize::try_from(index - 1)
                        .ok()
                        .and_then(|i| self.headers.get(i))
                        .ok_or(DecodeError::Invalid("header index"))?
                        .clone(),
                };
                let payload = match self.flag(CLAIMS)? {
                    CLAIMS => URL_SAFE_NO_PAD.encode(self.claims()?),
                    _ => self.packed()?,
                };
                let signature = self.packed()?;
                let token = format!("{header}.{payload}.{signature}");
                let derived = Derived::of(&token);
                Ok((token, derived))
            }
        }
    }

    fn stored_token(&mut self) -> Result<(StoredToken, Derived), DecodeError> {
        let (token, derived) = self.token()?;
        let scope = match self.flag(2)? {
            0 => None,
            1 => Some(
                derived
                    .scope
                    .clone()
                    .ok_or(DecodeError::Invalid("derived scope"))?,
            ),
            _ => Some(self.str()?.to_owned()),
        };
        let expires_at = self.relative(derived.exp)?;
        let refresh_at = expires_at.wrapping_sub(self.signed()?);
        Ok((
            StoredToken {
                token,
                scope,
                expires_at,
                refresh_at,
            },
            derived,
        ))
    }
}

#[cfg(test)]
mod tests;
