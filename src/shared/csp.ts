// The Content-Security-Policy every host serves the renderer with: the built
// index.html carries it as a meta tag, Electron's session and the headless
// host also send it as a header. Nothing remote, no eval, no inline script.

const strict: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'font-src': "'self'",
  // 'self' is exactly what is needed: the app talks to nothing but its own
  // origin. Under `strata serve` that includes the event WebSocket at
  // ws://<the page's host:port>/api/events: CSP Level 3 matches 'self' to
  // ws: (and wss:) on the page's own host and port, so no ws://127.0.0.1:*
  // wildcard (which would open every local port). Electron uses IPC: no
  // WebSocket there at all.
  'connect-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-src': "'none'",
  'worker-src': "'self'",
};

function render(policy: Record<string, string>): string {
  return Object.entries(policy)
    .map(([directive, sources]) => `${directive} ${sources}`)
    .join('; ');
}

/** The policy for the built renderer. */
export const CONTENT_SECURITY_POLICY = render(strict);

/** Header-only additions: meta tags cannot carry frame-ancestors. */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

/**
 * The Vite dev server only (never shipped): React Refresh needs an inline
 * preamble, Vite injects styles as <style> and talks to its HMR websocket.
 */
export function devContentSecurityPolicy(devServerOrigin: string): string {
  const ws = devServerOrigin.replace(/^http/, 'ws');
  return render({
    ...strict,
    'script-src': "'self' 'unsafe-inline'",
    'style-src': "'self' 'unsafe-inline'",
    'connect-src': `'self' ${ws}`,
  });
}
