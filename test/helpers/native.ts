/**
 * The skip reason of a native-engine test file: the engine's load error, or false when it loaded.
 * With SCIML_REQUIRE_NATIVE=1 (CI installs libdnnl-dev) a missing engine fails the file instead.
 */
import { loadNativeAddon } from '../../src/runtime/native/addon.js';

export function nativeSkipReason(): string | false {
  const { error } = loadNativeAddon();
  if (error && process.env.SCIML_REQUIRE_NATIVE === '1')
    throw new Error(`SCIML_REQUIRE_NATIVE=1 but the native engine is unavailable: ${error}`);
  return error ? `native engine ${error}` : false;
}
