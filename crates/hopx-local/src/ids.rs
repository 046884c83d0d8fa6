//! Random identifiers: request ids, sandbox ids, JWT ids.

use rand::Rng;

pub(crate) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub(crate) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` characters drawn uniformly from `alphabet` with the thread-local CSPRNG
/// (ChaCha seeded from the OS), which is good enough for API key secrets.
pub(crate) fn random_string(alphabet: &[u8], n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// `req_` + 16 lowercase letters/digits, the shape the real service uses.
pub(crate) fn request_id() -> String {
    format!("req_{}", random_string(LOWER_ALNUM, 16))
}

/// 10 digits of unix seconds + 8 lowercase letters/digits. The time prefix keeps ids
/// roughly sortable by creation, like the real service's ids.
pub(crate) fn sandbox_id(unix_seconds: i64) -> String {
    format!(
        "{:010}{}",
        unix_seconds.max(0),
        random_string(LOWER_ALNUM, 8)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let r = request_id();
        assert_eq!(r.len(), 20);
        assert!(r.starts_with("req_"));
        assert!(r[4..].bytes().all(|b| LOWER_ALNUM.contains(&b)));

        let s = sandbox_id(1_764_230_000);
        assert_eq!(s.len(), 18);
        assert!(s.starts_with("1764230000"));
        assert!(s[10..].bytes().all(|b| LOWER_ALNUM.contains(&b)));
    }
}
