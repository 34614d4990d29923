// Start: AUTH_URL=http://localhost:8000 INTROSPECTION_TOKEN=… npm start
import { createApp } from "./app.ts";
import { TokenVerifier } from "./tokens.ts";

const env = process.env;
const verifier = await TokenVerifier.discover({
  authUrl: env.AUTH_URL ?? "http://localhost:8000",
  audience: env.AUDIENCE,
  introspectionToken: env.INTROSPECTION_TOKEN,
});
const port = Number(env.PORT ?? 4000);
createApp(verifier).listen(port, env.HOST ?? "127.0.0.1", () => {
  console.log(`resource server on http://${env.HOST ?? "127.0.0.1"}:${port}, trusting ${verifier.issuer}`);
});
