//! The API server's clock, read from the `Date` header of every response: expiry is judged by
//! the server's time, never the local one (DESIGN.md §3).

use std::sync::{Arc, Mutex};

use http::Response;
use jiff::{SignedDuration, Timestamp};
use kube::client::DynBody;
use tower::util::MapResponseLayer;

/// How far the local clock may drift from the server's before we say so (DESIGN.md §3).
pub const SKEW_WARNING: SignedDuration = SignedDuration::from_secs(1);

const HALF_SECOND: SignedDuration = SignedDuration::from_millis(500);

/// The server's clock as seen in response `Date` headers.
#[derive(Clone, Default)]
pub(super) struct ServerClock {
    /// (server time from `Date`, local time when that response arrived)
    latest: Arc<Mutex<Option<(Timestamp, Timestamp)>>>,
}

impl ServerClock {
    /// The client layer that reads every response's `Date` (and logs its status with `-v`).
    pub(super) fn layer(
        &self,
    ) -> MapResponseLayer<
        impl Fn(Response<Box<DynBody>>) -> Response<Box<DynBody>> + Clone + Send + Sync + 'static,
    > {
        let clock = self.clone();
        MapResponseLayer::new(move |res: Response<Box<DynBody>>| {
            clock.observe(&res);
            tracing::info!("response: {}", res.status());
            res
        })
    }

    fn observe<B>(&self, res: &Response<B>) {
        let Some(date) = res
            .headers()
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        if let Some(server) = parse_http_date(date) {
            *self.latest() = Some((server, Timestamp::now()));
        }
    }

    fn latest(&self) -> std::sync::MutexGuard<'_, Option<(Timestamp, Timestamp)>> {
        self.latest
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `Date` has whole seconds: the server's true time at that response lies in
    /// `[date, date + 1s)`. When the local clock falls in that window the clocks agree and the
    /// (sub-second) local clock is the better reading; otherwise we take the window's middle.
    pub(super) fn now(&self) -> Timestamp {
        let local = Timestamp::now();
        match *self.latest() {
            Some((server, seen_at)) if agrees(server, seen_at) => local,
            Some((server, seen_at)) => server + HALF_SECOND + local.duration_since(seen_at),
            None => local,
        }
    }

    /// Local clock minus the server's (estimated from the window's middle), once a response
    /// has been seen; zero when the local clock is inside the `Date` window.
    pub(super) fn skew(&self) -> Option<SignedDuration> {
        let latest = *self.latest();
        latest.map(|(server, seen_at)| {
            if agrees(server, seen_at) {
                SignedDuration::ZERO
            } else {
                seen_at.duration_since(server + HALF_SECOND)
            }
        })
    }
}

fn agrees(server_date: Timestamp, local: Timestamp) -> bool {
    let offset = local.duration_since(server_date);
    offset >= SignedDuration::ZERO && offset < SignedDuration::from_secs(1)
}

/// Parses an HTTP `Date` (RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(text: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::parse(text)
        .ok()
        .map(|zoned| zoned.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.to_string(), "1994-11-06T08:49:37Z");
        assert!(parse_http_date("yesterday").is_none());
    }

    #[test]
    fn server_clock_follows_the_date_header() {
        let clock = ServerClock::default();
        let res = Response::builder()
            .header(http::header::DATE, "Sun, 06 Nov 1994 08:49:37 GMT")
            .body(())
            .unwrap();
        clock.observe(&res);
        let now = clock.now();
        assert!(now >= "1994-11-06T08:49:37Z".parse().unwrap());
        assert!(now < "1994-11-06T08:50:37Z".parse().unwrap());
        assert!(clock.skew().unwrap() > SignedDuration::from_hours(24 * 365));
    }

    #[test]
    fn a_local_clock_inside_the_date_second_is_trusted() {
        let date: Timestamp = "2026-01-01T00:00:10Z".parse().unwrap();
        assert!(agrees(date, "2026-01-01T00:00:10.900Z".parse().unwrap()));
        assert!(!agrees(date, "2026-01-01T00:00:11Z".parse().unwrap()));
        assert!(!agrees(date, "2026-01-01T00:00:09.999Z".parse().unwrap()));
        let clock = ServerClock::default();
        *clock.latest.lock().unwrap() = Some((date, "2026-01-01T00:00:10.300Z".parse().unwrap()));
        assert_eq!(clock.skew(), Some(SignedDuration::ZERO));
        *clock.latest.lock().unwrap() = Some((date, "2026-01-01T00:00:13.500Z".parse().unwrap()));
        assert_eq!(clock.skew(), Some(SignedDuration::from_secs(3)));
    }
}
