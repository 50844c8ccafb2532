export * from './body.js';
export * from './config.js';
export * from './server.js';
export * from './tls.js';
