//! A JWT payload as its claims, so the bytes of the JSON's syntax are not stored:
//! claim names by their index in [`NAMES`], integers as varints, strings without their
//! quotes (base64url ones packed at six bits a character), and the claims every token
//! of a session repeats by the index of their first occurrence.
//!
//! Only a payload that is a compact JSON object (what providers sign: no whitespace,
//! no escapes this form would lose) takes this form; it is rebuilt byte for byte, and
//! the encoder checks that before choosing it. Any other payload stays packed text.
//!
//! Not compression: each claim's bytes depend on that claim alone, except that a claim
//! of [`REPEATED`] equal to an earlier one (same name, same value) takes its index.
//! Those are the provider's own values (issuer, subject, audience, client, times,
//! scopes), none a secret and none a user writes, so the record's length says
//! nothing of a secret next to text a user chose.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{DecodeError, Reader, Writer, is_base64url};

/// Claim names stored as one byte (their index + 1). Part of the format: append only.
const NAMES: [&str; 32] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "jti",
    "scope",
    "client_id",
    "sid",
    "at_hash",
    "organization_id",
    "name",
    "picture",
    "username",
    "preferred_username",
    "created_at",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "organizations",
    "organization_roles",
    "roles",
    "auth_time",
    "nonce",
    "azp",
    "given_name",
    "family_name",
    "nickname",
    "locale",
    "custom_data",
];

/// Claims that refer back to an equal earlier claim of the record.
const REPEATED: [&str; 7] = ["iss", "sub", "aud", "client_id", "scope", "iat", "exp"];

/// A claim's value forms, and the back reference.
const RAW: u8 = 0;
const STRING: u8 = 1;
const PACKED: u8 = 2;
const INTEGER: u8 = 3;
const TRUE: u8 = 4;
const FALSE: u8 = 5;
const NULL: u8 = 6;
const EARLIER: u8 = 7;

/// A JSON object's members in order, each value as its exact text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// `"name":value` as the JSON has it.
fn member_text(name: &str, value: &str) -> String {
    let name = serde_json::Value::from(name).to_string();
    format!("{name}:{value}")
}

/// The members of `json` if rebuilding them gives `json` back exactly.
fn members(json: &[u8]) -> Option<Members<'_>> {
    let members: Members<'_> = serde_json::from_slice(json).ok()?;
    let rebuilt = rebuild(members.0.iter().map(|(k, v)| member_text(k, v.get())));
    (rebuilt.as_bytes() == json).then_some(members)
}

fn rebuild(members: impl Iterator<Item = String>) -> String {
    let mut json = String::from("{");
    for (i, member) in members.enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&member);
    }
    json.push('}');
    json
}

/// The characters between a JSON string's quotes, when no escape is among them.
fn plain_string(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\'])).then_some(inner)
}

impl Writer {
    /// Writes the payload `json` as claims; `false` (nothing written) when it does not
    /// take that form.
    pub(super) fn claims(&mut self, json: &[u8]) -> bool {
        let Some(Members(members)) = members(json) else {
            return false;
        };
        self.unsigned(members.len() as u64);
        for (name, value) in members {
            let value = value.get();
            let text = member_text(&name, value);
            let repeated = REPEATED.contains(&name.as_str());
            if repeated && let Some(i) = self.claims.iter().position(|m| *m == text) {
                self.bytes.push(EARLIER);
                self.unsigned(i as u64);
                continue;
            }
            if repeated {
                self.claims.push(text);
            }
            let integer = value.parse::<i64>().ok().filter(|n| n.to_string() == value);
            let (form, string) = match (value, integer, plain_string(value)) {
                ("true", ..) => (TRUE, None),
                ("false", ..) => (FALSE, None),
                ("null", ..) => (NULL, None),
                (_, Some(_), _) => (INTEGER, None),
                (_, _, Some(s)) if !s.is_empty() && is_base64url(s) => (PACKED, Some(s)),
                (_, _, Some(s)) => (STRING, Some(s)),
                _ => (RAW, Some(value)),
            };
            self.bytes.push(form);
            match NAMES.iter().position(|n| *n == name) {
                Some(i) => self.unsigned(i as u64 + 1),
                None => {
                    self.unsigned(0);
                    self.str(&name);
                }
            }
            match (form, string, integer) {
                (PACKED, Some(s), _) => self.packed(s),
                (_, Some(s), _) => self.str(s),
                (_, _, Some(n)) => self.signed(n),
                _ => {}
            }
        }
        true
    }
}

impl Reader<'_> {
    /// The payload's JSON that [`Writer::claims`] wrote.
    pub(super) fn claims(&mut self) -> Result<Vec<u8>, DecodeError> {
        let count = self.count()?;
        let mut members = Vec::with_capacity(count);
        for _ in 0..count {
            let form = self.flag(EARLIER)?;
            if form == EARLIER {
                let i = usize::try_from(self.unsigned()?).unwrap_or(usize::MAX);
                let text = self
                    .claims
                    .get(i)
                    .ok_or(DecodeError::Invalid("claim index"))?;
                members.push(text.clone());
                continue;
            }
            let name = match usize::try_from(self.unsigned()?).unwrap_or(usize::MAX) {
                0 => self.str()?.to_owned(),
                i => (*NAMES.get(i - 1).ok_or(DecodeError::Invalid("claim name"))?).to_owned(),
            };
            let value = match form {
                TRUE => "true".to_owned(),
                FALSE => "false".to_owned(),
                NULL => "null".to_owned(),
                INTEGER => self.signed()?.to_string(),
                PACKED => format!("\"{}\"", self.packed()?),
                STRING => format!("\"{}\"", self.str()?),
                _ => self.str()?.to_owned(),
            };
            let text = member_text(&name, &value);
            if REPEATED.contains(&name.as_str()) {
                self.claims.push(text.clone());
            }
            members.push(text);
        }
        Ok(rebuild(members.into_iter()).into_bytes())
    }
}
