//! Reporters: everything that turns the executor's [`crate::events::RunEvent`]s into something
//! people and CI read. Events reach reporters only through [`fanout`] (the `Reporter` trait and
//! the `FanOut` that batches events to each): `terminal` prints progress and the summary,
//! `jsonl` streams events as JSON lines, `record` collects the run record. From the finished
//! record, `junit` writes JUnit XML and `markdown` the Markdown summary; `schema` holds the
//! types of every JSON document (written and read back only through them); [`write_file`] puts
//! a report in place.

pub(crate) mod fanout;
pub(crate) mod jsonl;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod record;
pub(crate) mod schema;
pub(crate) mod terminal;

#[cfg(test)]
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// Writes `contents` to `path`, creating missing parent directories. The error names the path.
///
/// A regular file (or a new one) is written to a temporary sibling and renamed into place, so a
/// reader never sees half a report; anything else at that path (a symlink, a FIFO, a device such
/// as `/dev/stdout`) is opened and written through, never replaced.
pub(crate) fn write_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let direct = std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file());
    if direct {
        return std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .and_then(|mut f| f.write_all(contents).and_then(|_| f.flush()))
            .with_context(|| format!("cannot write report {}", path.display()));
    }
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create directory {} for report {}",
                dir.display(),
                path.display()
            )
        })?;
    }
    let tmp = path.with_extension("cargo-shuffle-tmp");
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(contents).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    if written.is_err() {
        // Leave nothing half-written behind (e.g. on a full disk).
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| {
        format!(
            "cannot write report {}; check that its directory is writable and has space",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_through_symlinks_and_creates_directories() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_file(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let nested = dir.path().join("a/b/c.xml");
        write_file(&nested, b"x").unwrap();
        assert_eq!(std::fs::read(&nested).unwrap(), b"x");
        assert!(
            write_file(Path::new("/dev/full"), b"x").is_err(),
            "a full disk is an error"
        );
        assert!(
            std::fs::metadata("/dev/full")
                .unwrap()
                .file_type()
                .is_char_device()
                || cfg!(not(target_os = "linux"))
        );
    }
}
