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
    /// The API server refused a request with this HTTP status (403, 404, ...); the message
    /// already says what was tried and what to do. `server_said` is the server's own reason
    /// (its Status message), for callers that word the failure themselves.
    #[error("{message}")]
    Api {
        status: u16,
        message: String,
        server_said: String,
    },
    /// The command ran and its answer is "no" (audit findings, a refused release).
    #[error("{0}")]
    Refused(String),
    /// Writing our own output failed (other than a closed pipe, which is not an error).
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
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
        }
    }

    /// RBAC forbids it (403) or the cluster does not serve it (404): parts of a view may be
    /// skipped with a notice for these, where any other failure is fatal.
    pub fn is_withheld(&self) -> bool {
        matches!(
            self,
            Error::Api {
                status: 403 | 404,
                ..
            }
        )
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api { status: 404, .. })
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
    fn only_a_closed_pipe_counts_as_broken_pipe() {
        let pipe = Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(pipe.is_broken_pipe());
        let other = Error::from(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(!other.is_broken_pipe());
    }
}
