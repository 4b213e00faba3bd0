/** Longest time limit: Node's timers overflow past 2^31 ms (24.8 days) and fire at once. Apart from fields.ts so the CLI's flags check it without loading zod. */
export const MAX_TIME_LIMIT_S = 2_000_000;
