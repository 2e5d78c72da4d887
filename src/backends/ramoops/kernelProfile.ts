// The kernel description lives in core/ (every backend receives it); re-exported for existing imports.
export { DEFAULT_KERNEL, kernelProfile, linuxVersionCode, type KernelProfile } from '../../core/kernel.js';
