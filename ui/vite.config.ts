// Builds the device's screens into ui/dist, which the Tauri app embeds (tauri.conf.json frontendDist).
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [svelte()],
  // Relative asset paths: the app serves ui/dist from its own custom protocol.
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
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
