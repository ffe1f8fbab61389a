// The browser tests inject axe-core into each page; they run under `make
// test` without Node, so the pinned script is copied next to them.
import { copyFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
copyFileSync(
  require.resolve("axe-core/axe.min.js"),
  new URL("../../../../tests/e2e/assets/axe.min.js", import.meta.url),
);
