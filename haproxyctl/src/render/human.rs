//! Human units: `3m12s`, `3.7KiB`, `12.5/s`.

/// Seconds as the two most significant units: `45s`, `3m12s`, `2h05m`, `3d4h`.
pub fn duration_secs(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

/// Like [`duration_secs`], with milliseconds below one second (`300ms`).
pub fn duration(d: std::time::Duration) -> String {
    if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        duration_secs(d.as_secs())
    }
}

/// Bytes in IEC units with one decimal above 1 KiB: `595B`, `3.7KiB`, `1.2GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n}B");
    }
    // Lossy above 2^53, which is far beyond any counter worth reading to the byte.
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1}{}", UNITS[unit])
}

/// A per-second rate with a precision that suits its size.
pub fn rate(per_sec: f64) -> String {
    if per_sec < 10.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.0}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_show_two_units() {
        assert_eq!(duration_secs(0), "0s");
        assert_eq!(duration_secs(192), "3m12s");
        assert_eq!(duration_secs(7500), "2h05m");
        assert_eq!(duration_secs(3 * 86400 + 4 * 3600 + 5), "3d4h");
    }

    #[test]
    fn bytes_use_iec_units() {
        assert_eq!(bytes(595), "595B");
        assert_eq!(bytes(3840), "3.8KiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0GiB");
        assert_eq!(rate(2.25), "2.2/s");
        assert_eq!(rate(120.4), "120/s");
    }
}
