// Builds the device's screens into ui/dist, which the Tauri app embeds (tauri.conf.json frontendDist)
// and the class world serves to phones' browsers at /application/ (crates/world/src/web_app.rs).
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [svelte()],
  // Relative asset paths: the app serves ui/dist from its own custom protocol at `/`, the world
  // at `/application/`; one build serves both.
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12) understands ES2021.
    target: "es2021",
    sourcemap: false,
    // Svelte's component styles go to one CSS file: the CSP allows no inline style.
    cssCodeSplit: false,
    rollupOptions: {
      onwarn(warning, warn) {
        // @hpke/common's bundled noble hashes carry commented-out code with /* @__PURE__ */
        // marks that Rollup cannot place: harmless, and not ours to fix.
        if (warning.code === "INVALID_ANNOTATION" && warning.id?.includes("/node_modules/@hpke/")) return;
        warn(warning);
      },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
