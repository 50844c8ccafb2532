export * from './decode.js';
export * from './encode.js';
export * from './snappy.js';
export * from './types.js';
