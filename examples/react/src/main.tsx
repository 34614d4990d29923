import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { AuthProvider } from "./auth/AuthProvider";
import "./style.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AuthProvider>
      <main>
        <App />
      </main>
    </AuthProvider>
  </StrictMode>,
);
