//! Offline input: files, directories (walked for .yaml/.yml/.json) and stdin, holding
//! multi-document YAML (block or flow style, read as kubectl reads YAML 1.1), JSON (one object or
//! a stream of them), `kind: List`, Helm-template or kustomize-build output. Known kinds become
//! typed objects; older API versions are read as their current version and recorded; a kind the
//! audit reads at an apiVersion it does not know is recorded; unknown kinds (CRDs included) are
//! skipped. A document that cannot be read (bad YAML, wrong types) is recorded and the others
//! are still read.
//!
//! This file reads the inputs (the only I/O); `documents` cuts a text into JSON and YAML
//! documents with their lines, `decode` makes each document a typed object, and `versions` says
//! which apiVersions of each kind are read and how older ones become the current one.

mod decode;
mod documents;
mod versions;

use std::path::{Path, PathBuf};

use crate::audit::objects::Objects;
use crate::error::{Error, Result, io_words};

/// The most one file (or stdin) may hold: far more than any real set of manifests, far less than
/// would exhaust memory (`-f /dev/zero` would otherwise read until killed).
const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Reads every path (`-` = stdin) into one set of objects. Inputs that hold no document at all
/// (empty files, an empty directory, stdin closed at once) are an error: an audit of nothing
/// must not pass a CI gate by accident. So is an input that cannot be read as text; a document
/// that cannot be read is not (it is in [`Objects::unreadable`]).
pub fn load(paths: &[PathBuf]) -> Result<Objects> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else {
            inputs.extend(files_under(path)?.into_iter().map(Input::File));
        }
    }
    // Files are parsed on every core; the results are merged in input order, so the objects,
    // and the first error reported, are the same as one by one.
    let mut objects = Objects::default();
    let mut documents = 0;
    for parsed in parse_all(&inputs) {
        let (found, count) = parsed?;
        objects.extend(found);
        documents += count;
    }
    if documents == 0 {
        return Err(Error::env(if paths.iter().all(|p| p.as_os_str() == "-") {
            "no YAML or JSON documents on stdin: it was empty or closed before a document arrived"
                .to_string()
        } else {
            let inputs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            format!(
                "no YAML or JSON documents in {}: check the path (directories are searched for .yaml, .yml and .json files)",
                inputs.join(", ")
            )
        }));
    }
    Ok(objects)
}

enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// Reads and parses one input: its objects and how many documents it held.
    fn parse(&self) -> Result<(Objects, usize)> {
        let (name, text) = match self {
            Input::Stdin => (
                "<stdin>".to_string(),
                read_limited(std::io::stdin().lock(), "stdin")?,
            ),
            Input::File(file) => {
                let name = file.display().to_string();
                let opened = std::fs::File::open(file)
                    .map_err(|e| Error::env(format!("cannot read {name}: {}", io_words(&e))))?;
                let text = read_limited(opened, &name)?;
                (name, text)
            }
        };
        let mut objects = Objects::default();
        let count = documents::add(&mut objects, &name, &text);
        Ok((objects, count))
    }
}

/// Every input parsed, in input order, by as many threads as there are cores.
fn parse_all(inputs: &[Input]) -> Vec<Result<(Objects, usize)>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(inputs.len());
    if workers <= 1 {
        return inputs.iter().map(Input::parse).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parsed: Vec<(usize, Result<(Objects, usize)>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(input) = inputs.get(i) else {
                            return done;
                        };
                        done.push((i, input.parse()));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a manifest parser thread panicked"))
            .collect()
    });
    parsed.sort_by_key(|(i, _)| *i);
    parsed.into_iter().map(|(_, result)| result).collect()
}

fn read_limited(reader: impl std::io::Read, name: &str) -> Result<String> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut reader.take(MAX_INPUT_BYTES + 1), &mut bytes)
        .map_err(|e| Error::env(format!("cannot read {name}: {}", io_words(&e))))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::env(format!(
            "{name}: more than {} MiB: not a manifest file? (split large exports into several files)",
            MAX_INPUT_BYTES / 1024 / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::env(format!(
            "{name}: not a text file (invalid UTF-8 at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Parses one text (YAML or JSON) into objects; `name` is used in origins. It does not fail
/// today: what cannot be read is in [`Objects::unreadable`].
pub fn parse(name: &str, text: &str) -> Result<Objects> {
    let mut objects = Objects::default();
    documents::add(&mut objects, name, text);
    Ok(objects)
}

/// A file, or every .yaml/.yml/.json below a directory (sorted, symlinked directories not followed).
fn files_under(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::env(format!("cannot read {}: {}", path.display(), io_words(&e))))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            Error::env(format!(
                "cannot read directory {}: {}",
                dir.display(),
                io_words(&e)
            ))
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                Error::env(format!(
                    "cannot read directory {}: {}",
                    dir.display(),
                    io_words(&e)
                ))
            })?;
            let file_type = entry.file_type().map_err(|e| {
                Error::env(format!(
                    "cannot read {}: {}",
                    entry.path().display(),
                    io_words(&e)
                ))
            })?;
            let p = entry.path();
            if file_type.is_dir() {
                pending.push(p);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                found.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests;
