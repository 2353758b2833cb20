//! Wall-clock formatting without a time-zone database: the journal and the
//! state records say UTC. What goes into an image (its logs and registry
//! dates) is in its local time, from the bias its SYSTEM hive stores:
//! `hotfix_engine::LocalClock`, built on [`now`] and [`civil`].
//!
//! The clock can be pinned, so that two runs of one command write the same
//! bytes (install records and the registry carry dates): crash tests compare
//! a recovered image with the result of a clean run. In-process callers use
//! [`freeze`]; the binary honours `SOURCE_DATE_EPOCH` (the reproducible-builds
//! convention), which tests that run it set.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The pinned time in seconds, or `u64::MAX` when the clock runs.
static FROZEN: AtomicU64 = AtomicU64::new(u64::MAX);

/// Pins [`now`] to `secs` since the Unix epoch for the rest of the process.
pub fn freeze(secs: u64) {
    FROZEN.store(secs, Ordering::Relaxed);
}

/// Seconds and milliseconds since the Unix epoch, now (or the pinned time).
pub fn now() -> (u64, u32) {
    let frozen = FROZEN.load(Ordering::Relaxed);
    if frozen != u64::MAX {
        return (frozen, 0);
    }
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
    {
        return (secs, 0);
    }
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs(), d.subsec_millis())
}

/// Civil date (year, month, day) of a day count since 1970-01-01
/// (Howard Hinnant's days-from-civil inverse).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY/MM/DD hh:mm:ss.mmm`, the layout of Update.exe's log header.
pub fn format_utc(secs: u64, millis: u32) -> String {
    let (y, mo, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}/{mo:02}/{d:02} {:02}:{:02}:{:02}.{millis:03}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// [`format_utc`] of the current time, with a ` (UTC)` suffix.
pub fn utc_now() -> String {
    let (s, ms) = now();
    format!("{} (UTC)", format_utc(s, ms))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_dates() {
        assert_eq!(super::format_utc(0, 0), "1970/01/01 00:00:00.000");
        assert_eq!(
            super::format_utc(1_171_572_476, 890),
            "2007/02/15 20:47:56.890"
        );
        assert_eq!(super::format_utc(951_782_400, 5), "2000/02/29 00:00:00.005");
    }
}
