export * from './config.js';
export * from './exporter-helper.js';
