//! Reporters: everything that turns the executor's [`crate::events::RunEvent`]s into something
//! people and CI read. `record` collects the run record (also written as JSON), `junit` writes
//! JUnit XML from it, `terminal` prints progress and the summary.

pub mod junit;
pub mod markdown;
pub mod record;
pub mod terminal;

use std::path::Path;

/// Writes `contents` to `path`, creating missing parent directories. The error names the path.
pub fn write_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
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
    // Write to a temporary sibling and rename, so a reader never sees half a report.
    let tmp = path.with_extension("cargo-shuffle-tmp");
    std::fs::write(&tmp, contents)
        .and_then(|_| std::fs::rename(&tmp, path))
        .with_context(|| {
            format!(
                "cannot write report {}; check that its directory is writable",
                path.display()
            )
        })
}
