/** `stitch tap`: tap points in the pipeline graph, their hub, and the admin endpoint extension. */
export { DEFAULT_TAP_ENDPOINT, isLoopbackHost, type TapConfig, tapConfigSchema } from './config.js';
export { tapConsumer } from './consumer.js';
export { createTapExtension, type TapExtension } from './extension.js';
export { tapExtensionFactory } from './factory.js';
export { SUBSCRIBER_QUEUE, TapHub, type TapPoint, type TapPointInfo, type TapSubscription, tapHubFor } from './hub.js';
export { formatRecord, parseFilter, recordToJson, type TapFilter, type TapRecord } from './render.js';
