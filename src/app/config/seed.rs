//! The seed of a plan: from `--seed N`, `--seed git`, `$CARGO_SHUFFLE_SEED` or drawn at random,
//! and where it came from (printed next to it).

use crate::app::cli::PlanArgs;
use crate::app::error::UsageError;
use crate::plan::seed::Seed;
use std::path::{Path, PathBuf};

/// The environment variable a pipeline sets so that all its jobs share one seed.
pub(crate) const SEED_ENV: &str = "CARGO_SHUFFLE_SEED";

/// Where the seed came from (printed next to it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SeedSource {
    /// `--seed N`.
    Flag,
    /// The `CARGO_SHUFFLE_SEED` environment variable (set once for a whole pipeline).
    Env,
    /// `--seed git`: the HEAD commit id (this 40-hex id).
    Git(String),
    /// Drawn at random for this run.
    Random,
}

impl SeedSource {
    /// Where the seed came from, for the lines that print it: `from --seed`, `from
    /// $CARGO_SHUFFLE_SEED`, `from git HEAD <id>` or `random`.
    pub(crate) fn describe(&self) -> String {
        match self {
            SeedSource::Flag => "from --seed".to_string(),
            SeedSource::Env => format!("from ${SEED_ENV}"),
            SeedSource::Git(id) => format!("from git HEAD {id}"),
            SeedSource::Random => "random".to_string(),
        }
    }
}

/// The seed of the plan arguments: `--seed` (a number or `git`), else a non-blank
/// `$CARGO_SHUFFLE_SEED` (also a number or `git`), else random. `git` reads the HEAD of the
/// repository holding `--manifest-path` (or the current directory). Errors: a malformed seed,
/// or `git` outside a repository with a commit.
pub(crate) fn resolve(a: &PlanArgs) -> Result<(Seed, SeedSource), UsageError> {
    let env_seed = std::env::var(SEED_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty());
    let flag = a
        .seed
        .clone()
        .or_else(|| env_seed.clone().filter(|e| e.trim() == "git"));
    Ok(match (&flag, env_seed) {
        (Some(s), _) if s.trim() == "git" => {
            let dir = a
                .cargo
                .manifest_path
                .as_deref()
                .and_then(|m| m.parent())
                .filter(|d| !d.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let (seed, id) = seed_from_git(&dir)?;
            (seed, SeedSource::Git(id))
        }
        (Some(s), _) => (
            s.parse::<Seed>().map_err(|e| UsageError(e.to_string()))?,
            SeedSource::Flag,
        ),
        (None, Some(e)) => (
            e.parse::<Seed>()
                .map_err(|err| UsageError(format!("${SEED_ENV}: {err}")))?,
            SeedSource::Env,
        ),
        (None, None) => (Seed::random(), SeedSource::Random),
    })
}

/// The seed for `--seed git`: the first 16 hex digits of the HEAD commit id of the repository
/// containing `dir`, so all partitions of one pipeline agree, a re-run of a commit repeats its
/// order and every new commit gets a new one. Also returns the whole commit id.
pub(crate) fn seed_from_git(dir: &Path) -> Result<(Seed, String), UsageError> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .map_err(|e| {
            UsageError(format!(
                "--seed git: cannot run git ({e}); install git or pass --seed N"
            ))
        })?;
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || id.len() < 16 {
        return Err(UsageError(format!(
            "--seed git: {} is not in a git repository with a commit ({}); pass --seed N instead",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let seed = u64::from_str_radix(&id[..16], 16)
        .map_err(|_| UsageError(format!("--seed git: unexpected commit id `{id}`")))?;
    Ok((Seed(seed), id))
}
