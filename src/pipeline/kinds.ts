/** Name of the job kind of one pipeline stage (light: the composition root imports it). */
export const STAGE_KIND = 'stage';
