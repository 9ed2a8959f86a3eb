//! The plan printed by `list --message-format json`.

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
