//! Which test binaries load the Rust toolchain's own shared libraries (`libstd-*.so` and the
//! like: proc-macro crates, `-C prefer-dynamic`, dylib crates, `rustc_private`). Only those
//! need rustc's library directories on the loader path, and asking rustc for them costs a rustc
//! start (25–50 ms on a 2-core machine: most of a small suite's discovery), so discovery asks
//! only when a binary needs it. The answer comes from the binary's ELF `DT_NEEDED` entries, read
//! with the `object` crate (headers and the dynamic section only, not the whole file).

use object::Endianness;
use object::elf::{DT_NEEDED, FileHeader32, FileHeader64};
use object::read::elf::FileHeader;
use object::read::{FileKind, ReadCache, ReadRef};
use std::fs::File;
use std::path::Path;

/// Shared-library name prefixes of the toolchain's dylibs (`lib<crate>-<hash>.so`).
const TOOLCHAIN_PREFIXES: [&str; 4] = ["libstd-", "libtest-", "librustc_driver-", "libproc_macro-"];

/// Whether the executable at `path` needs the toolchain's library directories to start.
/// `true` whenever that cannot be ruled out: not ELF (macOS, Windows, a script), unreadable,
/// or malformed, so the caller then falls back to asking rustc.
pub(crate) fn needs_toolchain_libs(path: &Path) -> bool {
    match needed_libs(path) {
        Some(libs) => libs
            .iter()
            .any(|l| TOOLCHAIN_PREFIXES.iter().any(|p| l.starts_with(p))),
        None => true,
    }
}

/// The `DT_NEEDED` entries of an ELF file (empty for a static executable); `None` if `path` is
/// not a readable, well-formed ELF file.
pub(crate) fn needed_libs(path: &Path) -> Option<Vec<String>> {
    let cache = ReadCache::new(File::open(path).ok()?);
    match FileKind::parse(&cache).ok()? {
        FileKind::Elf64 => elf_needed::<FileHeader64<Endianness>, _>(&cache),
        FileKind::Elf32 => elf_needed::<FileHeader32<Endianness>, _>(&cache),
        _ => None,
    }
}

fn elf_needed<'data, Elf, R>(data: R) -> Option<Vec<String>>
where
    Elf: FileHeader<Endian = Endianness>,
    R: ReadRef<'data>,
{
    let header = Elf::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let sections = header.sections(endian, data).ok()?;
    let table = sections.dynamic_table(endian, data).ok()?;
    table
        .iter()
        .filter(|d| d.tag == DT_NEEDED)
        .map(|d| {
            table
                .string(d)
                .ok()
                .map(|s| String::from_utf8_lossy(s).into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rust_test_binary_links_std_statically() {
        // This unit-test binary is an ordinary `cargo test` build: libc yes, libstd no.
        let exe = std::env::current_exe().unwrap();
        let libs = needed_libs(&exe).expect("the test binary is ELF");
        assert!(libs.iter().any(|l| l.starts_with("libc.so")), "{libs:?}");
        assert!(!needs_toolchain_libs(&exe), "{libs:?}");
    }

    #[test]
    fn what_is_not_elf_is_assumed_to_need_them() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("harness.sh");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
        assert_eq!(needed_libs(&script), None);
        assert!(needs_toolchain_libs(&script));
        assert!(needs_toolchain_libs(&dir.path().join("missing")));
    }
}
