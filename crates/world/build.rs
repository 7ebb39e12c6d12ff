//! The store's migration macro embeds `migrations/` at compile time; without this hint cargo
//! would not rebuild the crate when only a migration file is added (sqlx's documented remedy).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
