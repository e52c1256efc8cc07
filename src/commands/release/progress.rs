//! How far a `release` got, so that one stopped by Ctrl-C or by losing the API server says in one
//! line what it did, what it did not, and what to run next. A write on the wire is never
//! abandoned by Ctrl-C: its answer is awaited, so the line never guesses about it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::lock::model::LockKind;
use crate::lock::store::LockAddress;

pub struct Progress {
    /// `status NAME -n NS`, `release NAME -n NS [--kind K]`: what to run next.
    status: String,
    release: String,
    done: RefCell<Vec<String>>,
    next: RefCell<Option<String>>,
    /// The write on the wire now.
    writing: RefCell<Option<String>>,
    /// A write sent whose answer never came: the server may or may not have applied it.
    unanswered: RefCell<Option<String>>,
}

impl Progress {
    pub fn new(at: &LockAddress) -> Self {
        let kind = match at.kind {
            LockKind::Lease => String::new(),
            other => format!(" --kind {}", other.resource()),
        };
        Progress {
            status: format!("kubectl singleton status {} -n {}", at.name, at.namespace),
            release: format!(
                "kubectl singleton release {} -n {}{kind}",
                at.name, at.namespace
            ),
            done: RefCell::default(),
            next: RefCell::default(),
            writing: RefCell::default(),
            unanswered: RefCell::default(),
        }
    }

    /// Runs one write (or eviction), marked as on the wire until it is answered.
    pub async fn write<T>(&self, what: &str, write: impl Future<Output = Result<T>>) -> Result<T> {
        self.writing.replace(Some(what.to_string()));
        let result = write.await;
        self.writing.replace(None);
        // The server answered (a Status): it did not apply it. No answer at all: unknown.
        if let Err(Error::Environment(_)) = &result {
            self.unanswered.replace(Some(what.to_string()));
        }
        result
    }

    pub fn done(&self, what: &str) {
        self.done.borrow_mut().push(what.to_string());
        self.next.replace(None);
    }

    pub fn next(&self, what: &str) {
        self.next.replace(Some(what.to_string()));
    }

    fn writing(&self) -> bool {
        self.writing.borrow().is_some()
    }

    /// What was done, what may have been, and what was not.
    fn state(&self) -> String {
        let done = self.done.borrow();
        let mut words = if done.is_empty() {
            "nothing done".to_string()
        } else {
            format!("done: {}", done.join(", "))
        };
        if let Some(sent) = self.unanswered.borrow().as_ref() {
            words.push_str(&format!(
                "; unknown: whether the request to {sent} was applied (sent, never answered)"
            ));
        }
        match self.next.borrow().as_ref() {
            Some(next) => words.push_str(&format!("; not done: {next}")),
            None if done.is_empty() && self.unanswered.borrow().is_none() => {
                words = "nothing changed".to_string();
            }
            None => {}
        }
        words
    }

    /// What to run next, from the state left.
    fn what_next(&self) -> String {
        if self.done.borrow().is_empty() && self.unanswered.borrow().is_none() {
            format!("run the same release again once `{}` answers", self.status)
        } else {
            format!(
                "see who holds it with `{}`; a lock still naming a gone or dead holder is freed by `{}`",
                self.status, self.release
            )
        }
    }

    /// An error that stopped the release, with the state it left: a lost API server (exit 3)
    /// gets the state and the next command; other errors already say what happened.
    pub fn explain(&self, err: Error) -> Error {
        match err {
            Error::Environment(_) | Error::Api { .. } => Error::Environment(format!(
                "{err}; release stopped, {}; next: {}",
                self.state(),
                self.what_next()
            )),
            other => other,
        }
    }

    fn interrupted(&self) -> Error {
        let state = self.state();
        if state == "nothing changed" {
            Error::Interrupted("interrupted (Ctrl-C): nothing changed".to_string())
        } else {
            Error::Interrupted(format!(
                "interrupted (Ctrl-C): {state}; next: {}",
                self.what_next()
            ))
        }
    }
}

/// Runs the release until it ends or Ctrl-C arrives. After Ctrl-C a write already on the wire
/// still gets its answer (one request, atomic on the server); then the release stops there.
pub async fn interruptible(
    mut work: Pin<&mut impl Future<Output = Result<()>>>,
    progress: &Progress,
) -> Result<()> {
    tokio::select! {
        done = work.as_mut() => return done,
        signal = tokio::signal::ctrl_c() => {
            // No signal handling here (it could not be installed): just finish.
            if signal.is_err() {
                return work.await;
            }
        }
    }
    while progress.writing() {
        tokio::select! {
            done = work.as_mut() => return done.and(Err(progress.interrupted())),
            () = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
    }
    Err(progress.interrupted())
}
