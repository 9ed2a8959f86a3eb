//! Test binaries given by path (`--binary PATH` or `--binary ID=PATH`) instead of built by
//! cargo: checking the paths, their ids (cargo's `-HASH` suffix stripped) and their environment.

use crate::discover::binary::TestBinary;
use crate::discover::env::{DYLIB_PATH_VAR, dylib_path, toolchain_lib_dirs};
use crate::discover::error::DiscoverError;
use std::path::{Path, PathBuf};

/// Strips cargo's `-<16 hex digits>` suffix from a test executable's file name.
fn id_from_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((base, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            base.to_string()
        }
        _ => stem,
    }
}

/// Takes test binaries given by path (`--binary PATH` or `--binary ID=PATH`). They run in the
/// current directory with rustc's library dirs on the dynamic-library path.
/// Errors: a path that does not exist, is not a file, or is not executable; duplicate ids.
pub(crate) fn from_paths(specs: &[String]) -> Result<Vec<TestBinary>, DiscoverError> {
    use std::os::unix::fs::PermissionsExt;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut binaries: Vec<TestBinary> = Vec::new();
    for spec in specs {
        let (id, path) = match spec.split_once('=') {
            Some((id, p)) if !id.is_empty() && !Path::new(spec).exists() => {
                (Some(id.to_string()), PathBuf::from(p))
            }
            _ => (None, PathBuf::from(spec)),
        };
        let bad = |problem| DiscoverError::BadBinary {
            path: path.clone(),
            problem,
        };
        let meta = std::fs::metadata(&path).map_err(|_| bad("does not exist"))?;
        if !meta.is_file() {
            return Err(bad("is not a file"));
        }
        if meta.permissions().mode() & 0o111 == 0 {
            return Err(bad("is not executable"));
        }
        let id = id.unwrap_or_else(|| id_from_file_name(&path));
        if binaries.iter().any(|b| b.id == id) {
            return Err(DiscoverError::DuplicateId(id));
        }
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        binaries.push(TestBinary {
            id,
            path,
            cwd: cwd.clone(),
            env: Vec::new(),
            runner: None,
        });
    }
    let lib_dirs = toolchain_lib_dirs(binaries.iter().map(|b| b.path.as_path()));
    for b in &mut binaries {
        b.env.push((DYLIB_PATH_VAR.into(), dylib_path(&lib_dirs)));
    }
    binaries.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(binaries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_hash_is_stripped() {
        assert_eq!(
            id_from_file_name(Path::new("/t/deps/api-0123456789abcdef")),
            "api"
        );
        assert_eq!(id_from_file_name(Path::new("/t/my-tests")), "my-tests");
    }

    #[test]
    fn bad_binary_paths_are_named() {
        let e = from_paths(&["/nonexistent/x".into()]).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/x"));
        assert!(e.to_string().contains("does not exist"));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("plain");
        std::fs::write(&f, "x").unwrap();
        let e = from_paths(&[f.display().to_string()]).unwrap_err();
        assert!(e.to_string().contains("is not executable"), "{e}");
    }
}
