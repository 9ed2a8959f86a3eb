//! Which config file and profile apply to a command, found like nextest finds its own:
//! `--config-file PATH`, else `.config/shuffle.toml` in the workspace root (`cargo
//! metadata`'s, fetched once and kept for the build; for `--binary` the current directory, for
//! `--archive` the checkout it runs in); the profile is `--config-profile NAME`, else
//! `$CARGO_SHUFFLE_PROFILE`, else `default`. The flags themselves win over the profile (see
//! [`super::plan`] and [`super::run`]).

use super::file::{self, ProfileFile};
use super::selection::Source;
use crate::app::cli::PlanArgs;
use crate::app::error::UsageError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The environment variable that selects the profile when `--config-profile` is not given.
pub(crate) const PROFILE_ENV: &str = "CARGO_SHUFFLE_PROFILE";

/// The profile every named one inherits from, used when none is selected.
pub(crate) const DEFAULT_PROFILE: &str = "default";

/// Where the config file is looked for, relative to the workspace root.
pub(crate) const CONFIG_PATH: &str = ".config/shuffle.toml";

/// nextest's name of the group of tests in no test group: `test-group = "@global"` in an
/// override puts its tests in no group.
pub(crate) const GLOBAL_GROUP: &str = "@global";

/// The profile in effect for a command.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    /// The profile's name; `None` when no config file was read.
    pub(crate) name: Option<String>,
    /// The config file read, if any.
    pub(crate) file: Option<PathBuf>,
    /// Its settings (the named profile's keys over `default`'s), paths joined to the root.
    pub(crate) settings: ProfileFile,
    /// `[test-groups.NAME]`: each group's `max-threads`.
    pub(crate) test_groups: BTreeMap<String, u32>,
    /// The file's text, to place errors found after parsing (see [`Profile::error_at`]).
    pub(crate) text: String,
    /// What a repro command repeats to get the same profile: `--config-file PATH` when it was
    /// given, `--config-profile NAME` when the profile is not `default`.
    pub(crate) repro_args: Vec<String>,
}

impl Profile {
    /// Whether the config file read defines `[profile.NAME]` (false without a config file).
    pub(crate) fn defines(&self, name: &str) -> bool {
        let Some(path) = &self.file else { return false };
        file::parse(path, &self.text).is_ok_and(|f| f.profile.contains_key(name))
    }

    /// A usage error at byte offset `at` of the config file: `FILE:LINE:COL: key `KEY`: MSG`.
    pub(crate) fn error_at(&self, at: usize, msg: &str) -> UsageError {
        let path = self.file.as_deref().unwrap_or(Path::new(CONFIG_PATH));
        UsageError(file::located(path, &self.text, at, msg))
    }

    /// Where a setting of this profile comes from, for error messages: ``profile `ci` of FILE``.
    pub(crate) fn describe(&self) -> String {
        format!(
            "profile `{}` of {}",
            self.name.as_deref().unwrap_or(DEFAULT_PROFILE),
            self.file
                .as_deref()
                .unwrap_or(Path::new(CONFIG_PATH))
                .display()
        )
    }
}

/// The workspace root of `source` (see the module doc). For cargo, runs `cargo metadata` and
/// keeps it in the selection for the build; when it fails, the current directory (the build
/// then reports the failure).
fn workspace_root(source: &mut Source) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    match source {
        Source::Cargo(sel) => match crate::discover::workspace_metadata(sel) {
            Ok(meta) => {
                let root = meta.workspace_root.clone().into_std_path_buf();
                sel.metadata = Some(std::sync::Arc::new(meta));
                root
            }
            Err(_) => cwd,
        },
        Source::Binaries(_) => cwd,
        Source::Archive { workspace_root, .. } => workspace_root.clone(),
    }
}

/// The profile for plan arguments `a` whose binaries come from `source`. Errors (exit 2): a
/// `--config-file` that cannot be read, a file that does not parse (naming file, line and
/// key), a selected profile the file does not define (or a non-default profile without a
/// file).
pub(crate) fn load(a: &PlanArgs, source: &mut Source) -> Result<Profile, UsageError> {
    let env = std::env::var(PROFILE_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty());
    let (name, by) = match (&a.config_profile, env) {
        (Some(n), _) => (n.clone(), "--config-profile".to_string()),
        (None, Some(e)) => (e.trim().to_string(), format!("${PROFILE_ENV}")),
        (None, None) => (DEFAULT_PROFILE.to_string(), String::new()),
    };
    let root = workspace_root(source);
    let path = match &a.config_file {
        Some(p) => p.clone(),
        None => root.join(CONFIG_PATH),
    };
    if a.config_file.is_none() && !path.is_file() {
        if name != DEFAULT_PROFILE {
            return Err(UsageError(format!(
                "profile `{name}` ({by}) needs a config file, but {} does not exist; create it with a [profile.{name}] table or pass --config-file PATH",
                path.display()
            )));
        }
        // A team moving from nextest has its policy in nextest.toml: say that it is not read.
        let nextest = root.join(".config/nextest.toml");
        if nextest.is_file() {
            say!(
                "cargo-shuffle: note: {} is nextest's config and is not read; cargo-shuffle reads {} (same idea: profiles, overrides, test groups; see docs/config.md)",
                nextest.display(),
                CONFIG_PATH
            );
        }
        return Ok(Profile::default());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        UsageError(format!(
            "--config-file {}: {e}; pass a readable TOML file",
            path.display()
        ))
    })?;
    let shown = a.config_file.clone().unwrap_or_else(|| {
        path.strip_prefix(std::env::current_dir().unwrap_or_default())
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.clone())
    });
    let parsed = file::parse(&shown, &text)?;
    let default = parsed
        .profile
        .get(DEFAULT_PROFILE)
        .cloned()
        .unwrap_or_default();
    let settings = if name == DEFAULT_PROFILE {
        default
    } else {
        let Some(named) = parsed.profile.get(&name) else {
            let known: Vec<&str> = parsed.profile.keys().map(String::as_str).collect();
            return Err(UsageError(format!(
                "{}: no profile `{name}` (selected by {by}); the file defines: {}",
                shown.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        named.clone().inherit(&default)
    };
    if let Some(name) = parsed.test_groups.keys().find(|k| k.starts_with('@')) {
        // nextest reserves `@` names: `@global` is where tests of no group run, `@tool:` for
        // tools; a user group of that name would invert what a pasted config means.
        let at = text.find(name.as_str()).unwrap_or(0);
        return Err(UsageError(file::located(
            &shown,
            &text,
            at,
            &format!(
                "test group names starting with `@` are reserved (`@global` is the group of tests in no group, as in nextest); rename `[test-groups.\"{name}\"]`"
            ),
        )));
    }
    let test_groups: BTreeMap<String, u32> = parsed
        .test_groups
        .iter()
        .map(|(k, g)| (k.clone(), g.max_threads.0))
        .collect();
    // Every profile's overrides, not only the selected one's: a typo in `ci` should not wait
    // for CI to show up.
    for o in parsed.profile.values().flat_map(|p| &p.overrides) {
        // The filter's syntax too (its names are checked against the binaries only for the
        // selected profile, once they are built).
        let (line, column, key) = file::position(&text, o.filter.span().start);
        let origin = crate::discover::filterset::FilterOrigin::ConfigFile {
            file: shown.clone(),
            line,
            column,
            key: key.unwrap_or_else(|| "filter".into()),
        };
        crate::discover::filterset::Filterset::check_syntax(o.filter.get_ref(), origin)
            .map_err(|e| UsageError(e.to_string()))?;
        // `@global`: no group (nextest's name for it), e.g. to take a test out of a group a
        // later override would give it.
        if let Some(g) = &o.test_group
            && g.get_ref() != GLOBAL_GROUP
            && !test_groups.contains_key(g.get_ref())
        {
            let known: Vec<&str> = test_groups.keys().map(String::as_str).collect();
            if g.get_ref().starts_with('@') {
                return Err(UsageError(file::located(
                    &shown,
                    &text,
                    g.span().start,
                    &format!(
                        "no test group `{}`: names starting with `@` are reserved; the only one taken is \"@global\" (no group)",
                        g.get_ref()
                    ),
                )));
            }
            return Err(UsageError(file::located(
                &shown,
                &text,
                g.span().start,
                &format!(
                    "no test group `{}`: define it with [test-groups.{}] and max-threads = N, or write \"@global\" for no group (defined: {})",
                    g.get_ref(),
                    g.get_ref(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            )));
        }
    }
    let mut repro_args = Vec::new();
    if let Some(p) = &a.config_file {
        repro_args.extend(["--config-file".into(), p.display().to_string()]);
    }
    if name != DEFAULT_PROFILE {
        repro_args.extend(["--config-profile".into(), name.clone()]);
    }
    Ok(Profile {
        name: Some(name),
        file: Some(shown),
        settings: settings.rooted(&root),
        test_groups,
        text,
        repro_args,
    })
}
