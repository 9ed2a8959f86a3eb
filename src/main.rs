//! `cargo-shuffle`: the command-line entry point; all logic lives in the library.

fn main() {
    std::process::exit(cargo_shuffle::main_with_args(std::env::args_os().collect()));
}
