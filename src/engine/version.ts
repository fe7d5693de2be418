// The engine's version, as reported by app.version and `strata --version`.
// Hardcoded rather than read from package.json at runtime so bundles (main,
// CLI) need no file beside them; a test keeps it equal to package.json.

export const ENGINE_VERSION = '0.1.0';
