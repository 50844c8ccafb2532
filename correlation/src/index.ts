export * from './extract.js';
export * from './index/correlation-index.js';
export * from './index/queries.js';
export * from './keys.js';
export * from './validate.js';
