export * from './clone.js';
export * from './count.js';
export * from './lazy-metrics.js';
export * from './otlp-codec.js';
export * from './time.js';
export * from './types.js';
export * from './values.js';
