/** What the end-to-end run's scripted model (scripted-model-cli.ts) answers, for specs to look for. */
export const E2E_REPLY = 'Hello! It is lovely to hear from you. How has your day been so far?';
export const E2E_CHECK_IN = 'Just checking in on you. How did the rest of your day go?';
/** A message holding this gets an HTTP 500 from the scripted model the first time, a reply after. */
export const E2E_FAIL_ONCE = 'please fail once';
