//! A `cargo metadata` document made from binary ids, for runs without cargo (`--binary`,
//! `--archive`): one package per package name the ids give (`app::test/api` → package `app`
//! with a test target `api`), no dependencies. nextest-filtering compiles `package()`,
//! `binary()` and `binary_id()` against the guppy graph read from it.

use super::BinaryInfo;
use std::collections::BTreeMap;

/// The parts of `cargo metadata`'s document guppy reads (format version 1).
#[derive(serde::Serialize)]
pub(super) struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
    workspace_root: String,
    target_directory: String,
    version: u32,
}

/// One package of [`Metadata`].
#[derive(serde::Serialize)]
struct Package {
    name: String,
    version: &'static str,
    id: String,
    dependencies: Vec<()>,
    targets: Vec<Target>,
    features: BTreeMap<String, Vec<String>>,
    manifest_path: String,
}

/// One target of a [`Package`].
#[derive(serde::Serialize)]
struct Target {
    name: String,
    kind: Vec<String>,
    crate_types: Vec<String>,
    src_path: String,
}

/// Where the made-up workspace is said to be (nothing is read there).
const ROOT: &str = "/cargo-shuffle-binaries";

/// The document for the binaries `infos` (those without a package are left out).
pub(super) fn metadata<'a>(infos: impl Iterator<Item = &'a BinaryInfo>) -> Metadata {
    let mut by_package: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    for b in infos {
        let (Some(p), Some(k)) = (&b.package, &b.kind) else {
            continue;
        };
        by_package.entry(p.clone()).or_default().push(Target {
            name: b.binary_name.clone(),
            kind: vec![k.clone()],
            crate_types: vec![match k.as_str() {
                "lib" | "proc-macro" => k.clone(),
                _ => "bin".into(),
            }],
            src_path: format!("{ROOT}/{p}/src/{}.rs", b.binary_name),
        });
    }
    let packages: Vec<Package> = by_package
        .into_iter()
        .map(|(name, targets)| Package {
            id: format!("path+file://{ROOT}/{name}#0.0.0"),
            manifest_path: format!("{ROOT}/{name}/Cargo.toml"),
            name,
            version: "0.0.0",
            dependencies: Vec::new(),
            targets,
            features: BTreeMap::new(),
        })
        .collect();
    Metadata {
        workspace_members: packages.iter().map(|p| p.id.clone()).collect(),
        packages,
        workspace_root: ROOT.into(),
        target_directory: format!("{ROOT}/target"),
        version: 1,
    }
}
