//! Build once, run on many machines: `cargo shuffle archive` packs the test binaries and what
//! they need at run time (the binaries of `CARGO_BIN_EXE_*`, build-script `OUT_DIR`s, the
//! target's dynamic libraries, and each binary's environment) into one `.tar.gz`; `run --archive
//! FILE` unpacks it and runs without compiling, in a checkout of the same workspace source.
//!
//! Paths are stored relative to the workspace root (`{workspace}`) and the target directory
//! (`{target}`), and rewritten on unpacking: the source checkout is the current directory (or
//! `--workspace-root`), the target files are wherever the archive was unpacked. The dynamic-library
//! path is rebuilt on the running machine (rustc's own libraries come from its toolchain).

use crate::discover::{DYLIB_PATH_VAR, TestBinary};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Schema id of the manifest inside an archive.
pub(crate) const SCHEMA: &str = "cargo-shuffle/archive/v1";
/// File name of the manifest inside an archive.
const MANIFEST: &str = "cargo-shuffle-archive.json";
/// File name of the workspace's `cargo metadata` inside an archive, right after the manifest
/// (so that [`stored_metadata`] reads only the start of the archive): what `-E` filtersets'
/// `package()`, `kind()`, `deps()` and `rdeps()` see in an `--archive` run. Absent in archives
/// of earlier versions.
const METADATA: &str = "cargo-metadata.json";

/// One binary as stored in the manifest.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct StoredBinary {
    id: String,
    /// `{target}/…` path of the executable.
    path: String,
    /// `{workspace}/…` working directory.
    cwd: String,
    /// Environment with `{workspace}`/`{target}` placeholders (no dynamic-library path).
    env: Vec<(String, String)>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Manifest {
    schema: String,
    version: String,
    /// Where the workspace was when archived (informative).
    workspace_root: String,
    binaries: Vec<StoredBinary>,
}

/// An archive problem; names the file and what to do.
#[derive(Debug, thiserror::Error)]
#[error("archive {path}: {problem}")]
pub(crate) struct ArchiveError {
    /// The archive file.
    pub(crate) path: String,
    /// What went wrong.
    pub(crate) problem: String,
}

fn placeholder(s: &str, workspace: &Path, target: &Path) -> String {
    // Whole path components only: `/ws-data` is not inside `/ws`.
    let under = |base: &Path| -> Option<String> {
        let b = base.to_string_lossy();
        let rest = s.strip_prefix(b.as_ref())?;
        (rest.is_empty() || rest.starts_with('/')).then(|| rest.to_string())
    };
    if let Some(rest) = under(target) {
        format!("{{target}}{rest}")
    } else if let Some(rest) = under(workspace) {
        format!("{{workspace}}{rest}")
    } else {
        s.to_string()
    }
}

fn expand(s: &str, workspace: &Path, target: &Path) -> String {
    if let Some(rest) = s.strip_prefix("{target}") {
        format!("{}{rest}", target.display())
    } else if let Some(rest) = s.strip_prefix("{workspace}") {
        format!("{}{rest}", workspace.display())
    } else {
        s.to_string()
    }
}

/// Writes the archive of `binaries` (built under `target`, from the workspace at `workspace`,
/// whose `cargo metadata` is `metadata`, if it could be had) to `out`. Returns the number of
/// files packed. Errors name the file that could not be read or written.
pub(crate) fn create(
    binaries: &[TestBinary],
    workspace: &Path,
    target: &Path,
    metadata: Option<&cargo_metadata::Metadata>,
    out: &Path,
) -> Result<usize, ArchiveError> {
    let err = |problem: String| ArchiveError {
        path: out.display().to_string(),
        problem,
    };
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut stored = Vec::new();
    for b in binaries {
        files.insert(b.path.clone());
        if let Some(deps) = b.path.parent() {
            dirs.insert(deps.to_path_buf());
        }
        let mut env = Vec::new();
        for (k, v) in &b.env {
            let (k, v) = (k.to_string_lossy(), v.to_string_lossy());
            if k == DYLIB_PATH_VAR {
                continue;
            }
            if k.starts_with("CARGO_BIN_EXE_") {
                files.insert(PathBuf::from(v.as_ref()));
            }
            if k == "OUT_DIR" {
                dirs.insert(PathBuf::from(v.as_ref()));
            }
            env.push((k.to_string(), placeholder(&v, workspace, target)));
        }
        stored.push(StoredBinary {
            id: b.id.clone(),
            path: placeholder(&b.path.to_string_lossy(), workspace, target),
            cwd: placeholder(&b.cwd.to_string_lossy(), workspace, target),
            env,
        });
    }
    let manifest = Manifest {
        schema: SCHEMA.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        workspace_root: workspace.display().to_string(),
        binaries: stored,
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| err(format!("cannot create its directory: {e}")))?;
    }
    let file = std::fs::File::create(out).map_err(|e| err(format!("cannot create it: {e}")))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let json = serde_json::to_vec_pretty(&manifest).expect("the manifest serialises");
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, MANIFEST, json.as_slice())
        .map_err(|e| err(e.to_string()))?;
    if let Some(meta) = metadata {
        let json = serde_json::to_vec(meta).expect("cargo metadata serialises");
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, METADATA, json.as_slice())
            .map_err(|e| err(e.to_string()))?;
    }
    let mut count = 0;
    let mut add = |tar: &mut tar::Builder<_>, p: &Path| -> Result<(), ArchiveError> {
        let Ok(rel) = p.strip_prefix(target) else {
            return Ok(()); // outside the target dir: part of the source checkout or the system
        };
        tar.append_path_with_name(p, Path::new("target").join(rel))
            .map_err(|e| err(format!("cannot pack {}: {e}", p.display())))?;
        count += 1;
        Ok(())
    };
    for f in &files {
        add(&mut tar, f)?;
    }
    for d in &dirs {
        let is_deps = d.file_name().is_some_and(|n| n == "deps");
        let Ok(entries) = std::fs::read_dir(d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            // From deps/, only dynamic libraries; OUT_DIRs whole (one level of files, and
            // subdirectories recursively).
            if is_deps {
                let n = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if p.is_file() && (n.ends_with(".so") || n.ends_with(".dylib")) {
                    add(&mut tar, &p)?;
                }
            } else if p.is_dir() {
                if let Ok(rel) = p.strip_prefix(target) {
                    tar.append_dir_all(Path::new("target").join(rel), &p)
                        .map_err(|e| err(format!("cannot pack {}: {e}", p.display())))?;
                }
            } else {
                add(&mut tar, &p)?;
            }
        }
    }
    tar.into_inner()
        .and_then(|gz| gz.finish())
        .map_err(|e| err(format!("cannot finish it: {e}")))?;
    Ok(count)
}

/// Unpacks `archive` into `into` and returns its binaries with paths rewritten: target files
/// under `into/target`, working directories under `workspace` (the source checkout).
pub(crate) fn extract(
    archive: &Path,
    into: &Path,
    workspace: &Path,
) -> Result<Vec<TestBinary>, ArchiveError> {
    let err = |problem: String| ArchiveError {
        path: archive.display().to_string(),
        problem,
    };
    let file = std::fs::File::open(archive).map_err(|e| {
        err(format!(
            "cannot open it ({e}); pass the file written by `cargo shuffle archive`"
        ))
    })?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    tar.unpack(into)
        .map_err(|e| err(format!("cannot unpack it: {e}")))?;
    // tar stops at its end-of-archive blocks; reading the gzip stream to its end checks the
    // CRC and length in its trailer, so a corrupted or cut file is refused, not run.
    std::io::copy(&mut tar.into_inner(), &mut std::io::sink()).map_err(|e| {
        err(format!(
            "it is damaged ({e}); copy it again from the build job"
        ))
    })?;
    let text = std::fs::read_to_string(into.join(MANIFEST))
        .map_err(|_| err("it has no manifest: not a cargo-shuffle archive".into()))?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| err(format!("bad manifest: {e}")))?;
    if m.schema != SCHEMA {
        return Err(err(format!("unsupported archive schema {}", m.schema)));
    }
    let target = into.join("target");
    let paths: Vec<PathBuf> = m
        .binaries
        .iter()
        .map(|b| PathBuf::from(expand(&b.path, workspace, &target)))
        .collect();
    let lib_dirs = crate::discover::toolchain_lib_dirs(paths.iter().map(PathBuf::as_path));
    // Tests run in their package's directory of the checkout: a wrong checkout (or a
    // subdirectory) would fail every test with a misleading "no such file".
    if let Some(b) = m
        .binaries
        .iter()
        .find(|b| !Path::new(&expand(&b.cwd, workspace, &target)).is_dir())
    {
        return Err(err(format!(
            "its tests run in package directories of the workspace it was built from, but `{}` (for {}) does not exist here; run from the root of a checkout of that workspace, or pass --workspace-root DIR",
            expand(&b.cwd, workspace, &target),
            b.id
        )));
    }
    let mut out = Vec::new();
    for (b, path) in m.binaries.into_iter().zip(paths) {
        let mut dirs: Vec<PathBuf> = Vec::new();
        dirs.extend(path.parent().map(Path::to_path_buf));
        dirs.extend(path.parent().and_then(Path::parent).map(Path::to_path_buf));
        dirs.extend(lib_dirs.iter().cloned());
        let mut env: Vec<(OsString, OsString)> = b
            .env
            .iter()
            .map(|(k, v)| (k.into(), expand(v, workspace, &target).into()))
            .collect();
        env.push((DYLIB_PATH_VAR.into(), crate::discover::dylib_path(&dirs)));
        out.push(TestBinary {
            id: b.id,
            path,
            cwd: PathBuf::from(expand(&b.cwd, workspace, &target)),
            env,
            runner: None,
        });
    }
    Ok(out)
}

/// The `cargo metadata` stored in `archive` ([`METADATA`]), reading only the archive's first
/// entries; `None` for an archive without it. Errors: a file that cannot be read or whose
/// stored metadata does not parse.
pub(crate) fn stored_metadata(
    archive: &Path,
) -> Result<Option<cargo_metadata::Metadata>, ArchiveError> {
    let err = |problem: String| ArchiveError {
        path: archive.display().to_string(),
        problem,
    };
    let file = std::fs::File::open(archive).map_err(|e| err(format!("cannot open it ({e})")))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let entries = tar.entries().map_err(|e| err(e.to_string()))?;
    // The manifest, then the metadata: nothing later can be it.
    for entry in entries.take(2) {
        let entry = entry.map_err(|e| err(e.to_string()))?;
        if entry.path().is_ok_and(|p| p == Path::new(METADATA)) {
            let meta = serde_json::from_reader(entry)
                .map_err(|e| err(format!("its cargo metadata does not parse: {e}")))?;
            return Ok(Some(meta));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_metadata_is_stored_right_after_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let (w, t) = (dir.path(), dir.path().join("target"));
        let meta: cargo_metadata::Metadata = serde_json::from_str(
            r#"{"packages":[],"workspace_members":[],"workspace_root":"/ws","target_directory":"/ws/target","version":1,"resolve":null}"#,
        )
        .unwrap();
        let with = dir.path().join("with.tar.gz");
        create(&[], w, &t, Some(&meta), &with).unwrap();
        let back = stored_metadata(&with).unwrap().unwrap();
        assert_eq!(back.workspace_root.as_str(), "/ws");
        let without = dir.path().join("without.tar.gz");
        create(&[], w, &t, None, &without).unwrap();
        assert!(stored_metadata(&without).unwrap().is_none());
        assert!(stored_metadata(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn placeholders_round_trip() {
        let (w, t) = (Path::new("/ws"), Path::new("/ws/target"));
        assert_eq!(placeholder("/ws/target/debug/x", w, t), "{target}/debug/x");
        assert_eq!(placeholder("/ws/crate", w, t), "{workspace}/crate");
        assert_eq!(placeholder("plain", w, t), "plain");
        // A sibling that only shares a name prefix is not inside the workspace.
        assert_eq!(placeholder("/ws-data/f.txt", w, t), "/ws-data/f.txt");
        assert_eq!(placeholder("/ws", w, t), "{workspace}");
        let (w2, t2) = (Path::new("/ci/src"), Path::new("/tmp/a/target"));
        assert_eq!(expand("{target}/debug/x", w2, t2), "/tmp/a/target/debug/x");
        assert_eq!(expand("{workspace}/crate", w2, t2), "/ci/src/crate");
    }
}
