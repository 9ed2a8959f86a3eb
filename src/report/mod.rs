//! Reporters: everything that turns the executor's [`crate::events::RunEvent`]s into something
//! people and CI read. Events reach reporters only through [`fanout`] (the `Reporter` trait and
//! the `FanOut` that batches events to each): `terminal` prints progress and the summary,
//! `jsonl` streams events as JSON lines, `record` collects the run record. From the finished
//! record, `junit` writes JUnit XML, `markdown` the Markdown summary and `html` the HTML page;
//! `schema` holds the types of every JSON document (written and read back only through them);
//! [`write_file`] puts a report in place.

pub(crate) mod fanout;
pub(crate) mod html;
pub(crate) mod jsonl;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod record;
pub(crate) mod schema;
pub(crate) mod terminal;

pub(crate) use crate::files::write_file;
