// Compiles tauri.conf.json, the capabilities and the embedded ui/dist into the app.
fn main() {
    tauri_build::build();
}
