/** Names of the job kinds `sciml tune` submits (light: the composition root imports them). */
export const TUNE_TRIAL_KIND = 'tune-trial';
export const TUNE_CV_KIND = 'tune-cv';
