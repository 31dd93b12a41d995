//! S3 Express session credentials: what CreateSession issues and zonal requests sign with.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use sha2::Digest;

/// How long a session's credentials last (S3: five minutes).
const SESSION_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) secret: String,
    pub(crate) token: String,
    pub(crate) bucket: String,
    pub(crate) expires: SystemTime,
}

/// Session credentials issued by CreateSession, by access key.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    issued: Mutex<HashMap<String, Session>>,
    seq: AtomicU64,
}

impl Sessions {
    /// New credentials for `bucket`: (access key, secret, token, expiry).
    pub(crate) fn issue(&self, bucket: &str, salt: &str) -> (String, Session) {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let derive = |what: &str| {
            hex::encode(sha2::Sha256::digest(
                format!("{what}/{n}/{nanos}/{bucket}/{salt}").as_bytes(),
            ))
        };
        let access_key = format!("ASIAS3MREXPRESS{n:05}");
        let session = Session {
            secret: derive("secret")[..40].to_owned(),
            token: derive("token"),
            bucket: bucket.to_owned(),
            expires: SystemTime::now() + SESSION_LIFETIME,
        };
        let mut issued = self.issued.lock().expect("sessions lock");
        let now = SystemTime::now();
        issued.retain(|_, s| s.expires > now);
        issued.insert(access_key.clone(), session.clone());
        (access_key, session)
    }

    pub(crate) fn get(&self, access_key: &str) -> Option<Session> {
        self.issued
            .lock()
            .expect("sessions lock")
            .get(access_key)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_distinct_and_found() {
        let sessions = Sessions::default();
        let (a, one) = sessions.issue("b--usw2-az1--x-s3", "salt");
        let (b, two) = sessions.issue("b--usw2-az1--x-s3", "salt");
        assert_ne!(a, b);
        assert_ne!(one.secret, two.secret);
        assert_eq!(sessions.get(&a).unwrap().token, one.token);
        assert!(sessions.get("ASIA-unknown").is_none());
    }
}
