// The build the gateway serves: dist/index.html at `/`, dist/assets/* at
// `/dashboard/assets/*` (names carry a content hash, so they cache forever).
// No source maps and no absolute paths in the output: the same sources and
// lockfile build the same bytes anywhere, which `.ci/run` checks.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/dashboard/",
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    sourcemap: false,
    // Polaris and React in one file is ~1 MB before gzip; the warning's
    // 500 kB default is for sites that split per page, which this one needn't.
    chunkSizeWarningLimit: 2000,
    // Every asset a file of its own, never a data: URI (img-src 'self').
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev`: the API is the gateway of `make run`.
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
});
