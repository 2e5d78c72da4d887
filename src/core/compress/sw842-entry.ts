export { sw842 } from './sw842/index.js';
