// Embedded migrations (`include_str!` in `src/migrate.rs`) are read at compile time: rebuild when
// they change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
