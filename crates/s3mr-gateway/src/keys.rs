//! The keys file: who may use the gateway, with which buckets, and whether they may write
//! (pure: parsed and checked without I/O, table-tested).
//!
//! ```toml
//! [[key]]
//! access_key = "GWANALYTICS000000001"
//! secret_key = "a-secret-of-at-least-16-characters"
//! buckets = ["logs-*", "reports"]   # globs: `*` any run of characters, `?` one
//! read_only = true                  # GET, HEAD and LIST only (default false)
//! ```
//!
//! Clients sign with these keys; the gateway forwards with its own AWS credentials, which no
//! client ever sees.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

/// One client key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    access_key: String,
    secret_key: String,
    buckets: Vec<String>,
    read_only: bool,
}

impl Key {
    /// The access key clients sign with.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// Whether the key may write (PUT, DELETE, POST).
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Whether `bucket` matches one of the key's bucket globs.
    pub fn allows(&self, bucket: &str) -> bool {
        self.buckets.iter().any(|glob| glob_matches(glob, bucket))
    }
}

/// Every key of a keys file, by access key.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    by_access_key: HashMap<String, Key>,
}

/// The keys a running gateway checks, replaced whole on reload (SIGHUP): a request reads the
/// keys of the moment it is checked; connections and requests in flight are untouched.
#[derive(Debug, Clone, Default)]
pub struct KeysHandle(Arc<arc_swap::ArcSwap<Keys>>);

impl KeysHandle {
    pub(crate) fn new(keys: Keys) -> Self {
        Self(Arc::new(arc_swap::ArcSwap::from_pointee(keys)))
    }

    /// The keys of this moment.
    pub fn current(&self) -> Arc<Keys> {
        self.0.load_full()
    }

    /// Replaces the keys for every request checked from now on.
    pub fn replace(&self, keys: Keys) {
        self.0.store(Arc::new(keys));
    }

    /// Reads and parses `text` and, only if it is a valid keys file, replaces the keys with it;
    /// otherwise the keys stay as they were. Returns how many keys are now in force.
    pub fn reload(&self, text: &str) -> Result<usize, KeysError> {
        let keys = Keys::parse(text)?;
        let count = keys.len();
        self.replace(keys);
        Ok(count)
    }
}

/// Why a keys file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    /// Not TOML of the expected shape.
    #[error("not a keys file: {0}")]
    Syntax(String),
    /// A key that cannot be used as written.
    #[error("key {access_key:?}: {why}")]
    InvalidKey {
        /// The key's access key (never its secret).
        access_key: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// No `[[key]]` at all: the gateway would refuse everyone.
    #[error("no [[key]] entries")]
    Empty,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    key: Vec<RawKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    access_key: String,
    secret_key: String,
    buckets: Vec<String>,
    #[serde(default)]
    read_only: bool,
}

impl Keys {
    /// Parses and checks a keys file's text.
    pub fn parse(text: &str) -> Result<Self, KeysError> {
        let file: File = toml::from_str(text).map_err(|e| KeysError::Syntax(e.to_string()))?;
        if file.key.is_empty() {
            return Err(KeysError::Empty);
        }
        let mut by_access_key = HashMap::new();
        for raw in file.key {
            let invalid = |why| KeysError::InvalidKey {
                access_key: raw.access_key.clone(),
                why,
            };
            let access_ok = (16..=128).contains(&raw.access_key.len())
                && raw.access_key.bytes().all(|b| b.is_ascii_alphanumeric());
            if !access_ok {
                return Err(invalid("an access key is 16-128 letters and digits"));
            }
            if raw.secret_key.len() < 16 || raw.secret_key.chars().any(char::is_control) {
                return Err(invalid(
                    "a secret key is at least 16 characters, none a control",
                ));
            }
            if raw.buckets.is_empty() {
                return Err(invalid(
                    "`buckets` names no bucket: list globs, or [\"*\"] for all",
                ));
            }
            if raw.buckets.iter().any(|g| g.is_empty() || g.contains('/')) {
                return Err(invalid("a bucket glob is a bucket name with `*` or `?`"));
            }
            if by_access_key.contains_key(&raw.access_key) {
                return Err(invalid("listed twice"));
            }
            by_access_key.insert(
                raw.access_key.clone(),
                Key {
                    access_key: raw.access_key,
                    secret_key: raw.secret_key,
                    buckets: raw.buckets,
                    read_only: raw.read_only,
                },
            );
        }
        Ok(Self { by_access_key })
    }

    /// The key with this access key.
    pub fn get(&self, access_key: &str) -> Option<&Key> {
        self.by_access_key.get(access_key)
    }

    /// The secret of `access_key` (for SigV4 verification).
    pub(crate) fn secret(&self, access_key: &str) -> Option<&str> {
        self.get(access_key).map(|k| k.secret_key.as_str())
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.by_access_key.len()
    }

    /// Whether there are none (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.by_access_key.is_empty()
    }
}

/// `*` (any run of characters) and `?` (one character) against a bucket name.
fn glob_matches(glob: &str, name: &str) -> bool {
    let (glob, name): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point for the last `*`.
    let (mut g, mut n, mut star, mut mark) = (0, 0, None, 0);
    while n < name.len() {
        if g < glob.len() && (glob[g] == '?' || glob[g] == name[n]) {
            g += 1;
            n += 1;
        } else if g < glob.len() && glob[g] == '*' {
            star = Some(g);
            mark = n;
            g += 1;
        } else if let Some(s) = star {
            g = s + 1;
            mark += 1;
            n = mark;
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_globs() {
        let table = [
            ("*", "any-bucket", true),
            ("logs-*", "logs-eu", true),
            ("logs-*", "logs-", true),
            ("logs-*", "blogs-eu", false),
            ("data", "data", true),
            ("data", "data2", false),
            ("d?ta", "data", true),
            ("*-eu-*", "a-eu-b", true),
            ("*-eu-*", "a-us-b", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
        ];
        for (glob, name, want) in table {
            assert_eq!(glob_matches(glob, name), want, "{glob} ~ {name}");
        }
    }

    #[test]
    fn keys_files() {
        let keys = Keys::parse(
            r#"
            [[key]]
            access_key = "GWREADER0000000001"
            secret_key = "reader-secret-0123456789"
            buckets = ["logs-*"]
            read_only = true

            [[key]]
            access_key = "GWWRITER0000000001"
            secret_key = "writer-secret-0123456789"
            buckets = ["*"]
            "#,
        )
        .unwrap();
        assert_eq!(keys.len(), 2);
        let reader = keys.get("GWREADER0000000001").unwrap();
        assert!(reader.read_only() && reader.allows("logs-eu") && !reader.allows("data"));
        let writer = keys.get("GWWRITER0000000001").unwrap();
        assert!(!writer.read_only() && writer.allows("data"));
        assert_eq!(
            keys.secret("GWWRITER0000000001"),
            Some("writer-secret-0123456789")
        );
        assert!(keys.get("nobody").is_none());

        let bad = [
            ("", KeysError::Empty),
            (
                "[[key]]\naccess_key = \"short\"\nsecret_key = \"0123456789abcdef\"\nbuckets = [\"*\"]",
                KeysError::InvalidKey {
                    access_key: "short".into(),
                    why: "an access key is 16-128 letters and digits",
                },
            ),
            (
                "[[key]]\naccess_key = \"GWKEY00000000000001\"\nsecret_key = \"short\"\nbuckets = [\"*\"]",
                KeysError::InvalidKey {
                    access_key: "GWKEY00000000000001".into(),
                    why: "a secret key is at least 16 characters, none a control",
                },
            ),
            (
                "[[key]]\naccess_key = \"GWKEY00000000000001\"\nsecret_key = \"0123456789abcdef\"\nbuckets = []",
                KeysError::InvalidKey {
                    access_key: "GWKEY00000000000001".into(),
                    why: "`buckets` names no bucket: list globs, or [\"*\"] for all",
                },
            ),
        ];
        for (text, want) in bad {
            assert_eq!(Keys::parse(text).unwrap_err(), want, "{text}");
        }
        let twice = "[[key]]\naccess_key = \"GWKEY00000000000001\"\nsecret_key = \"0123456789abcdef\"\nbuckets = [\"*\"]\n";
        assert!(matches!(
            Keys::parse(&format!("{twice}{twice}")),
            Err(KeysError::InvalidKey {
                why: "listed twice",
                ..
            })
        ));
        assert!(matches!(
            Keys::parse("[[key]]\naccess_key = \"x\"\ncolor = 1"),
            Err(KeysError::Syntax(_))
        ));
    }
}
