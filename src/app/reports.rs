//! Writing a finished run's or hunt's report files (JUnit, the `--report` JSON, the Markdown
//! summary, the HTML page): each file independently, so that one that cannot be written loses
//! none of the others, and what that failure does to the exit code.

use crate::app::config::RunConfig;
use crate::report::{self, record::RunRecord};

/// Writes the reports that were asked for (JUnit and Markdown from `record`, the `--report`
/// document from `json`, called only when it is asked for); returns false if one could not be
/// written (the error is printed and the others are still written).
pub(crate) fn write_reports(
    cfg: &RunConfig,
    record: &RunRecord,
    json: &dyn Fn() -> Vec<u8>,
    markdown: &dyn Fn() -> String,
) -> bool {
    let mut ok = true;
    let mut write = |path: &Option<std::path::PathBuf>, contents: &dyn Fn() -> Vec<u8>| {
        if let Some(path) = path
            && let Err(e) = report::write_file(path, &contents())
        {
            say!("error: {e:#}");
            ok = false;
        }
    };
    write(&cfg.junit, &|| report::junit::render(record).into_bytes());
    write(&cfg.report, json);
    write(&cfg.summary, &|| markdown().into_bytes());
    ok
}

/// Writes the HTML report (`--html`) at `path`, if given, once the gate has chosen `code`
/// (the page shows it); returns `code`, or `OTHER_ERROR` when it was `OK` and the page could
/// not be written (the error is printed).
pub(crate) fn write_html(
    path: Option<&std::path::Path>,
    page: &dyn Fn() -> String,
    code: i32,
) -> i32 {
    let Some(path) = path else { return code };
    match report::write_file(path, page().as_bytes()) {
        Ok(()) => code,
        Err(e) => {
            say!("error: {e:#}");
            if code == crate::exit::OK {
                crate::exit::OTHER_ERROR
            } else {
                code
            }
        }
    }
}
