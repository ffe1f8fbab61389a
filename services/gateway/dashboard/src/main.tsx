import "@shopify/polaris/build/esm/styles.css";
import "./app.css";
import "./cspShim";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { startSession } from "./auth";

startSession();

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
