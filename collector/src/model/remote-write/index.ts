export * from './decode.js';
export * from './encode.js';
export * from './scan.js';
export * from './snappy.js';
export * from './source.js';
export * from './types.js';
