//! The one retry layer (backon): exponential backoff with full jitter, Retry-After honoured
//! (`retry-after-ms`, `retry-after` as seconds or HTTP-date), capped.
//!
//! It decides *whether and when* to try again; the operation it drives records each attempt.
//! Nothing below it may retry (the HTTP client does not), and it never retries a failure
//! the operation marks as permanent (any 4xx other than 429).

use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::HeaderMap;

use super::types::LlmError;

/// How often and how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// Ceiling of the first backoff; doubles per retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
    /// Largest Retry-After honoured; longer values are cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// What the operation tells the retry layer about a failed attempt.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: LlmError,
    pub retryable: bool,
    /// The server's Retry-After, when it sent one.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn permanent(error: LlmError) -> Failure {
        Failure {
            error,
            retryable: false,
            retry_after: None,
        }
    }
    pub fn transient(error: LlmError, retry_after: Option<Duration>) -> Failure {
        Failure {
            error,
            retryable: true,
            retry_after,
        }
    }
}

/// Facts about the attempt being started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptInfo {
    /// 1 for the first attempt.
    pub number: u32,
    /// The backoff waited just before this attempt (zero for the first).
    pub wait_before: Duration,
}

/// HTTP statuses worth another attempt: rate limits (429), server faults and overload
/// (500, 502, 503, 504, 529). Every other status is permanent.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504 | 529)
}

/// The wait a server asks for: `retry-after-ms` (milliseconds), else `retry-after` as
/// (fractional) seconds or an HTTP-date (a date in the past means no wait).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    parse_retry_after_value(get("retry-after")?, now)
}

/// Parses one `Retry-After` value (delta seconds or HTTP-date).
pub fn parse_retry_after_value(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Runs `op` until it succeeds, fails permanently, or the retries are spent, sleeping
/// between attempts. Returns the last error on failure.
pub async fn run<T, F, Fut>(policy: &RetryPolicy, mut op: F) -> Result<T, LlmError>
where
    F: FnMut(AttemptInfo) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let number = AtomicU32::new(0);
    let next_wait_nanos = AtomicU64::new(0);
    let backoff = ExponentialBuilder::new()
        .with_min_delay(policy.base_delay)
        .with_max_delay(policy.max_delay)
        .with_factor(2.0)
        .with_max_times(policy.max_retries as usize);
    let max_retry_after = policy.max_retry_after;
    let attempt = || {
        let info = AttemptInfo {
            number: number.fetch_add(1, Ordering::Relaxed) + 1,
            wait_before: Duration::from_nanos(next_wait_nanos.load(Ordering::Relaxed)),
        };
        op(info)
    };
    attempt
        .retry(backoff)
        .when(|f: &Failure| f.retryable)
        .adjust(|f: &Failure, ceiling: Option<Duration>| {
            // `None` means the retries are spent, whatever the server says.
            let ceiling = ceiling?;
            Some(match f.retry_after {
                Some(asked) => asked.min(max_retry_after),
                None => full_jitter(ceiling),
            })
        })
        .notify(|_: &Failure, wait: Duration| {
            let nanos = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
            next_wait_nanos.store(nanos, Ordering::Relaxed);
        })
        .await
        .map_err(|f| f.error)
}

/// "Full jitter": a uniform wait in `[0, ceiling]`.
fn full_jitter(ceiling: Duration) -> Duration {
    ceiling.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::sync::Mutex;

    fn fast(max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_millis(50),
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::now();
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(3)));
        h.insert("retry-after", HeaderValue::from_static("1.5"));
        assert_eq!(
            parse_retry_after(&h, now),
            Some(Duration::from_millis(1500))
        );
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_millis(250)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(10));
        let d = parse_retry_after_value(&later, now).unwrap();
        assert!(
            d <= Duration::from_secs(10) && d >= Duration::from_secs(9),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(10));
        assert_eq!(parse_retry_after_value(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after_value("soon", now), None);
        assert_eq!(parse_retry_after_value("-1", now), None);
    }

    #[test]
    fn statuses() {
        for s in [429, 500, 502, 503, 504, 529] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 408, 413, 422, 501] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[tokio::test]
    async fn retries_transient_until_success_and_reports_waits() {
        let seen = Mutex::new(Vec::new());
        let out = run(&fast(5), |info| {
            seen.lock().unwrap().push(info);
            async move {
                if info.number < 3 {
                    let ra = (info.number == 2).then_some(Duration::from_secs(30));
                    Err(Failure::transient(LlmError::Provider("busy".into()), ra))
                } else {
                    Ok(info.number)
                }
            }
        })
        .await;
        assert_eq!(out, Ok(3));
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].wait_before, Duration::ZERO);
        assert!(seen[1].wait_before <= Duration::from_millis(5));
        // Retry-After of 30 s is capped at max_retry_after.
        assert_eq!(seen[2].wait_before, Duration::from_millis(50));
    }

    #[tokio::test]
    async fn permanent_failure_is_not_retried_and_retries_run_out() {
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = run(&fast(5), |_| {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(Failure::permanent(LlmError::Provider("400".into()))) }
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::Relaxed), 1);

        let calls = AtomicU32::new(0);
        let out: Result<(), _> = run(&fast(2), |_| {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(Failure::transient(LlmError::Provider("503".into()), None)) }
        })
        .await;
        assert_eq!(out, Err(LlmError::Provider("503".into())));
        assert_eq!(calls.load(Ordering::Relaxed), 3);
    }
}
