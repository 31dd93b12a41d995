//! Durations on the command line (clap value parsers, pure).

use std::time::Duration;

/// A presigned URL's validity: `90s`, `15m`, `1h`, `7d` (1 second to 7 days).
pub(crate) fn presign_validity(s: &str) -> Result<Duration, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration like 90s, 15m, 1h or 7d, got {s:?}"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("unknown unit {unit:?}: use s, m, h or d")),
    };
    if secs == 0 || secs > 7 * 86_400 {
        return Err("presigned URLs last from 1 second to 7 days".into());
    }
    Ok(Duration::from_secs(secs))
}

/// A timeout: `500ms`, `20s`, `2m` (a bare number is seconds).
pub(crate) fn timeout(s: &str) -> Result<Duration, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("expected a duration like 500ms, 20s or 2m, got {s:?}"))?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => return Err(format!("unknown unit {unit:?}: use ms, s or m")),
    };
    if duration.is_zero() {
        return Err("a timeout must be longer than zero".into());
    }
    Ok(duration)
}
