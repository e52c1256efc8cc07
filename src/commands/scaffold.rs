//! `scaffold KIND NAME --image IMG`: correct manifests for a singleton, on stdout or as files.

use std::io::Write;
use std::path::Path;

use crate::cli::ScaffoldArgs;
use crate::error::{Error, Result};
use crate::options::{Options, ScaffoldFormat};
use crate::scaffold::{self, Generated, Pattern};

pub fn run(args: &ScaffoldArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    let spec = scaffold::spec(args, &options.namespaces)?;
    let objects = scaffold::build(&spec);
    let json = options.output.scaffold()? == ScaffoldFormat::Json;
    match &args.out_dir {
        None => out.write_all(render(&objects, spec.pattern, json)?.as_bytes())?,
        Some(dir) => write_files(dir, &objects, spec.pattern, json, args.force, out)?,
    }
    if let Some(path) = &args.alerts_file {
        write_alerts(path, args.force, out)?;
    }
    Ok(())
}

fn yaml_doc(object: &Generated) -> Result<String> {
    crate::yaml::to_string(&object.value).map_err(Error::env)
}

/// All objects as one multi-document YAML (with the pattern's explanation on top) or a JSON List.
fn render(objects: &[Generated], pattern: Pattern, json: bool) -> Result<String> {
    if json {
        let list = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": objects.iter().map(|o| o.value.clone()).collect::<Vec<_>>(),
        });
        return serde_json::to_string_pretty(&list)
            .map(|t| t + "\n")
            .map_err(|e| Error::env(format!("cannot render JSON: {e}")));
    }
    let mut text = scaffold::preface(pattern).to_string();
    for object in objects {
        text.push_str("---\n");
        text.push_str(&yaml_doc(object)?);
    }
    Ok(text)
}

/// `--alerts-file`: the plain rules file, refused over an existing file without `--force`.
fn write_alerts(path: &Path, force: bool, out: &mut impl Write) -> Result<()> {
    if !force && path.exists() {
        return Err(Error::Refused(format!(
            "{} exists: pass --force to overwrite",
            path.display()
        )));
    }
    std::fs::write(path, scaffold::ALERTS)
        .map_err(|e| Error::env(format!("cannot write {}: {e}", path.display())))?;
    // Said on stderr: stdout may be the manifests, piped to kubectl apply.
    let _ = out;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// One file per object, written atomically (temp file + rename). Nothing is written when any
/// target exists and `--force` is absent.
fn write_files(
    dir: &Path,
    objects: &[Generated],
    pattern: Pattern,
    json: bool,
    force: bool,
    out: &mut impl Write,
) -> Result<()> {
    let extension = if json { "json" } else { "yaml" };
    let targets: Vec<(std::path::PathBuf, String)> = objects
        .iter()
        .map(|o| {
            let body = if json {
                serde_json::to_string_pretty(&o.value)
                    .map(|t| t + "\n")
                    .map_err(|e| Error::env(format!("cannot render JSON: {e}")))?
            } else {
                format!("{}{}", scaffold::preface(pattern), yaml_doc(o)?)
            };
            Ok((
                dir.join(format!("{}-{}.{extension}", o.kind.to_lowercase(), o.name)),
                body,
            ))
        })
        .collect::<Result<_>>()?;
    if !force && let Some((existing, _)) = targets.iter().find(|(path, _)| path.exists()) {
        return Err(Error::Refused(format!(
            "{} exists: pass --force to overwrite",
            existing.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::env(format!("cannot create {}: {e}", dir.display())))?;
    for (path, body) in &targets {
        let temp = path.with_extension(format!("{extension}.tmp-{}", std::process::id()));
        std::fs::write(&temp, body)
            .and_then(|()| std::fs::rename(&temp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                Error::env(format!("cannot write {}: {e}", path.display()))
            })?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}
