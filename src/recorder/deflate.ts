/**
 * The dump compressor for recorder images: the kernel's deflate parameters
 * via node:zlib. (The core deflate compressor already guards against a first
 * byte that ramoops' header parser would swallow.)
 */
import { installNodeDeflate, type DeflateProfile } from '../node/deflate.js';

export { isKernelSpace } from '../backends/ramoops/kmsgHeader.js';

export function installRecorderDeflate(profile: DeflateProfile): void {
  installNodeDeflate(profile);
}
