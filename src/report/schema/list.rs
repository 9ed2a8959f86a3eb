//! The plan printed by `list --message-format json`, and the binaries printed by `list
//! --list-type binaries-only --message-format json`.

use crate::discover::list::TestCase;
use crate::plan::Partition;
use crate::plan::seed::Seed;
use serde::{Deserialize, Serialize};

/// The plan printed by `list --message-format json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListDoc {
    /// The run seed, as a decimal string.
    #[serde(with = "super::common::text")]
    pub(crate) seed: Seed,
    /// Shards in the plan.
    pub(crate) shard_count: u32,
    /// `--partition`, or `null`.
    #[serde(with = "super::common::opt_text")]
    pub(crate) partition: Option<Partition>,
    /// Every shard's tests, in plan order.
    pub(crate) shards: Vec<ListShard>,
    /// The 1-based shard of the tests kept out of the shuffle (`shuffle = false`), in name
    /// order, always the last; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unshuffled_shard: Option<u32>,
    /// Tests selected but not run (`#[ignore]`d).
    pub(crate) ignored: Vec<TestCase>,
    /// The test binaries that could not be listed (absent in output of older versions).
    #[serde(default)]
    pub(crate) list_errors: Vec<super::run::ListErrorDoc>,
}

/// One shard of [`ListDoc`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListShard {
    /// 1-based shard number.
    pub(crate) shard: usize,
    /// Its tests (`{"binary_id", "name", "ignored"}`) in order.
    pub(crate) tests: Vec<TestCase>,
}

/// The test binaries printed by `list --list-type binaries-only --message-format json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListBinariesDoc {
    /// Every test binary found (built, given with `--binary`, or unpacked from `--archive`),
    /// by id.
    pub(crate) binaries: Vec<ListBinary>,
    /// The test binaries that could not be listed (they are among `binaries` too).
    pub(crate) list_errors: Vec<super::run::ListErrorDoc>,
}

/// One binary of [`ListBinariesDoc`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListBinary {
    /// Its stable id (the first word of its tests' ids).
    pub(crate) binary_id: String,
    /// The executable (for `--archive`, inside a temporary directory removed when `list` ends).
    pub(crate) path: std::path::PathBuf,
}
