//! Writing a report or state file in place: a reader never sees half of it, and a device or pipe
//! given as the path (`/dev/stdout`) is written through. Below every stage that writes files
//! (reports, the duration history).

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
    // A name of its own per writer: two runs on one target directory (or two threads) writing
    // the same file must not write through one temporary file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".{}.{n}.cargo-shuffle-tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
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
    use std::os::unix::fs::FileTypeExt;

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

    #[test]
    fn concurrent_writers_of_one_file_never_share_a_temporary_file() {
        // Two writers of the same path (two runs on one target dir) each write a whole file.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("durations.json");
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..50 {
                        write_file(path, &[b'a' + t; 4096]).unwrap();
                    }
                });
            }
        });
        let got = std::fs::read(&path).unwrap();
        assert_eq!(got.len(), 4096);
        assert!(
            got.iter().all(|&b| b == got[0]),
            "a mixed file was left in place"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary files were left behind");
    }
}
