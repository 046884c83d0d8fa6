//! HS256 sandbox tokens (the `auth_token` of a sandbox), signed with a random
//! 32-byte secret that lives only in this server's memory: tokens die with the
//! process, as they should for a local server.

use std::{fmt, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ids;

type HmacSha256 = Hmac<Sha256>;

/// The claims of a sandbox token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Sandbox id.
    pub sub: String,
    /// Organization id of the key that created the sandbox.
    pub org: u64,
    /// Issued at, unix seconds.
    pub iat: i64,
    /// Expires at, unix seconds.
    pub exp: i64,
    /// Random token id.
    pub jti: String,
}

/// Why a token was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is not signed with HS256")]
    UnsupportedAlgorithm,
    #[error("the token's signature does not match this server's key")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
}

/// A freshly issued token and when it expires.
#[derive(Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"****")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
}

/// Signs and verifies sandbox tokens. `Debug` never shows the secret.
#[derive(Clone)]
pub struct JwtKeys {
    secret: [u8; 32],
    ttl: Duration,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys")
            .field("secret", &"****")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl JwtKeys {
    /// A new random secret; tokens live for `ttl`.
    pub fn generate(ttl: Duration) -> Self {
        let mut secret = [0u8; 32];
        rand::rng().fill(&mut secret);
        Self { secret, ttl }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length")
    }

    /// Issues a token for `sandbox_id` owned by `org`, valid from now for the ttl.
    pub fn issue(&self, sandbox_id: &str, org: u64) -> IssuedToken {
        self.issue_at(sandbox_id, org, Utc::now())
    }

    fn issue_at(&self, sandbox_id: &str, org: u64, now: DateTime<Utc>) -> IssuedToken {
        let iat = now.timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let exp = iat.saturating_add(ttl);
        let claims = Claims {
            sub: sandbox_id.to_owned(),
            org,
            iat,
            exp,
            jti: ids::random_string(ids::LOWER_ALNUM, 16),
        };
        let header = Header {
            alg: "HS256".into(),
            typ: "JWT".into(),
        };
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap_or_default()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default())
        );
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        IssuedToken {
            token: format!("{signing_input}.{signature}"),
            expires_at: Utc
                .timestamp_opt(exp, 0)
                .single()
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }

    /// Checks signature, algorithm and expiry, and returns the claims.
    pub fn verify(&self, token: &str) -> Result<Claims, JwtError> {
        self.verify_at(token, Utc::now())
    }

    fn verify_at(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, JwtError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or(JwtError::Malformed)?;
        if payload.contains('.') {
            return Err(JwtError::Malformed);
        }
        let header: Header = decode_json(header)?;
        if header.alg != "HS256" {
            return Err(JwtError::UnsupportedAlgorithm);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed)?;
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        // verify_slice compares in constant time.
        mac.verify_slice(&signature)
            .map_err(|_| JwtError::BadSignature)?;
        let claims: Claims = decode_json(payload)?;
        if claims.exp <= now.timestamp() {
            return Err(JwtError::Expired);
        }
        Ok(claims)
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_then_verify() {
        let keys = JwtKeys::generate(Duration::from_secs(3600));
        let issued = keys.issue("1764230000ab12cd34", 7);
        let claims = keys.verify(&issued.token).unwrap();
        assert_eq!(claims.sub, "1764230000ab12cd34");
        assert_eq!(claims.org, 7);
        assert_eq!(claims.exp - claims.iat, 3600);
        assert_eq!(claims.exp, issued.expires_at.timestamp());
        assert_eq!(claims.jti.len(), 16);
        assert!(!format!("{issued:?}").contains(&issued.token));
    }

    #[test]
    fn rejects_tampering_other_keys_and_expiry() {
        let keys = JwtKeys::generate(Duration::from_secs(60));
        let token = keys.issue("abc", 1).token;

        let other = JwtKeys::generate(Duration::from_secs(60));
        assert_eq!(other.verify(&token), Err(JwtError::BadSignature));

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD
            .encode(br#"{"sub":"abc","org":2,"iat":0,"exp":99999999999,"jti":"x"}"#.as_slice());
        parts[1] = &forged_claims;
        assert_eq!(keys.verify(&parts.join(".")), Err(JwtError::BadSignature));

        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#.as_slice());
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[0] = &none_header;
        assert_eq!(
            keys.verify(&parts.join(".")),
            Err(JwtError::UnsupportedAlgorithm)
        );

        assert_eq!(keys.verify("a.b"), Err(JwtError::Malformed));
        assert_eq!(keys.verify(""), Err(JwtError::Malformed));

        let later = Utc::now() + chrono::Duration::seconds(61);
        assert_eq!(keys.verify_at(&token, later), Err(JwtError::Expired));
    }
}
