/** Name of the job kind of one AutoML trial (light: the family manifest imports it). */
export const AUTOML_TRIAL_KIND = 'automl-trial';
