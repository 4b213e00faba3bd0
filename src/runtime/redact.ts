/**
 * Secrets in URLs (a Redis password) never reach logs, run.json or config.yaml: the user-info part
 * of any `scheme://user:password@host` becomes `***`.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]*@/gi;

export function redactSecrets(text: string): string {
  return text.replace(URL_USERINFO, '$1***@');
}
