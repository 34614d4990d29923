import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The app calls `/graphql` on its own origin; here Vite forwards it to the server, as
// a reverse proxy does in production. Same origin: the refresh cookie is first-party,
// and no CORS is needed. GRAPHQL_AUTH_URL: where the server listens.
const proxy = {
  "/graphql": {
    target: process.env.GRAPHQL_AUTH_URL ?? "http://127.0.0.1:8000",
    // X-Forwarded-For, believed by the server only from TRUSTED_PROXIES.
    xfwd: true,
  },
};

export default defineConfig({
  plugins: [react()],
  server: { port: 5173, strictPort: true, proxy },
  preview: { port: 4173, strictPort: true, proxy },
});
