export * from './extract.js';
export * from './keys.js';
export * from './validate.js';
