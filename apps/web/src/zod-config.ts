import { z } from 'zod';

// Zod compiles fast object parsers with `new Function`, deciding when each z.object() is built, after
// probing whether eval is allowed. Parley's Content-Security-Policy forbids eval (no 'unsafe-eval'), and
// even the caught probe is reported as a violation, so this must run before any schema exists: main.ts
// imports this module first. The interpreted parser is plenty for the app's form-sized payloads.
z.config({ jitless: true });
