// Lets `node --test tests/e2e/` find the end-to-end tests (run.mjs holds them).
import './run.mjs';
