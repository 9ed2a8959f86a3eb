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

/// The exit code of a command whose gate chose `code`, given whether every report file asked
/// for was `written`: a green run whose reports are missing is not green (`OTHER_ERROR`); any
/// other code stands, since it already says the run failed.
pub(crate) fn unless_unwritten(code: i32, written: bool) -> i32 {
    if code == crate::exit::OK && !written {
        crate::exit::OTHER_ERROR
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_green_run_turns_red_when_a_report_is_missing() {
        assert_eq!(unless_unwritten(crate::exit::OK, true), crate::exit::OK);
        assert_eq!(
            unless_unwritten(crate::exit::OK, false),
            crate::exit::OTHER_ERROR
        );
        assert_eq!(unless_unwritten(100, false), 100);
    }
}
