//! Rebuilds the crate when a migration is added: `embed_migrations!` reads the directory at
//! compile time, and cargo does not watch a directory it was not told about.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
