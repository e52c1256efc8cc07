//! The error type every command returns, and its mapping to the documented exit codes
//! (DESIGN.md §6). Each variant carries one line a user can act on.

use std::fmt;

/// Exit codes shared by all commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    /// `audit` found violations, or `release` refused / lost a conflict / timed out.
    Failure = 1,
    /// Bad flags or arguments.
    Usage = 2,
    /// kubeconfig, connection, TLS, auth, RBAC, unreadable input, object not found.
    Environment = 3,
    /// `release` stopped by Ctrl-C (SIGINT) between two steps; 128 + SIGINT, as shells report.
    Interrupted = 130,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// What went wrong, classified by who can fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line itself is wrong.
    #[error("{0}")]
    Usage(String),
    /// The machine, kubeconfig, network or cluster refused us.
    #[error("{0}")]
    Environment(String),
    /// The API server refused a request; the message already says what was tried and what to
    /// do. The server's own Status (its HTTP code and reason) is kept as the source, for the
    /// predicates below and for callers that word the failure themselves.
    #[error("{message}")]
    Api {
        message: String,
        #[source]
        status: Box<kube::core::Status>,
    },
    /// The command ran and its answer is "no" (audit findings, a refused release).
    #[error("{0}")]
    Refused(String),
    /// Writing our own output failed (other than a closed pipe, which is not an error).
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
    /// Ctrl-C (SIGINT) stopped a command between two steps; the message says what was done.
    #[error("{0}")]
    Interrupted(String),
}

impl Error {
    pub fn usage(msg: impl fmt::Display) -> Self {
        Error::Usage(msg.to_string())
    }

    pub fn env(msg: impl fmt::Display) -> Self {
        Error::Environment(msg.to_string())
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) => ExitCode::Usage,
            Error::Environment(_) | Error::Api { .. } | Error::Output(_) => ExitCode::Environment,
            Error::Refused(_) => ExitCode::Failure,
            Error::Interrupted(_) => ExitCode::Interrupted,
        }
    }

    /// The HTTP status the API server answered with, when it answered.
    fn http_status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(status.code),
            _ => None,
        }
    }

    /// The server's own words for a refused request (its Status message).
    pub fn server_said(&self) -> Option<&str> {
        match self {
            Error::Api { status, .. } => Some(&status.message),
            _ => None,
        }
    }

    /// 400: the server could not parse what we sent (e.g. a label selector).
    pub fn is_bad_request(&self) -> bool {
        self.http_status() == Some(400)
    }

    /// 403: RBAC forbids it.
    pub fn is_forbidden(&self) -> bool {
        self.http_status() == Some(403)
    }

    /// 404: no such object, or the cluster does not serve the API.
    pub fn is_not_found(&self) -> bool {
        self.http_status() == Some(404)
    }

    /// 409: the object changed since it was read (its resourceVersion no longer matches).
    pub fn is_conflict(&self) -> bool {
        self.http_status() == Some(409)
    }

    /// 429: for an eviction, a PodDisruptionBudget allows no disruption now.
    pub fn is_too_many_requests(&self) -> bool {
        self.http_status() == Some(429)
    }

    /// 500: the server failed; for an eviction, several budgets select the pod.
    pub fn is_internal_error(&self) -> bool {
        self.http_status() == Some(500)
    }

    /// RBAC forbids it (403) or the cluster does not serve it (404): parts of a view may be
    /// skipped with a notice for these, where any other failure is fatal.
    pub fn is_withheld(&self) -> bool {
        self.is_forbidden() || self.is_not_found()
    }

    /// True when stdout was closed under us (`| head -1`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Output(err)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Splits a result three ways: success, a part RBAC or the cluster withheld (403/404, kept as a
/// value so the caller can skip that part with a notice), and any other failure (returned).
pub fn tolerate_withheld<T>(result: Result<T>) -> Result<std::result::Result<T, Error>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(err) if err.is_withheld() => Ok(Err(err)),
        Err(err) => Err(err),
    }
}

/// An I/O error in plain words: no "(os error 40)", no capital in mid-sentence.
pub fn io_words(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = err.to_string();
            let text = match text.rsplit_once(" (os error ") {
                Some((words, _)) => words.to_string(),
                None => text,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_design() {
        assert_eq!(Error::usage("x").exit_code() as u8, 2);
        assert_eq!(Error::env("x").exit_code() as u8, 3);
        assert_eq!(Error::Refused("x".into()).exit_code() as u8, 1);
    }

    #[test]
    fn io_errors_are_plain_words() {
        let looped = std::io::Error::from_raw_os_error(40);
        assert_eq!(io_words(&looped), "too many levels of symbolic links");
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(io_words(&missing), "no such file or directory");
    }

    #[test]
    fn api_errors_answer_by_their_status_and_keep_it_as_source() {
        use std::error::Error as _;
        let api = |code| Error::Api {
            message: "cannot do it".into(),
            status: Box::new(kube::core::Status::failure("denied", "Forbidden").with_code(code)),
        };
        assert!(api(400).is_bad_request());
        assert!(api(403).is_forbidden() && api(403).is_withheld());
        assert!(api(404).is_not_found() && api(404).is_withheld());
        assert!(api(409).is_conflict() && !api(409).is_withheld());
        assert!(api(429).is_too_many_requests());
        assert!(api(500).is_internal_error());
        assert_eq!(api(403).server_said(), Some("denied"));
        assert_eq!(api(403).to_string(), "cannot do it");
        assert!(api(403).source().is_some());
        assert!(!Error::env("x").is_not_found());
    }

    #[test]
    fn only_a_closed_pipe_counts_as_broken_pipe() {
        let pipe = Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(pipe.is_broken_pipe());
        let other = Error::from(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(!other.is_broken_pipe());
    }
}
