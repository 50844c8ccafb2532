/** The `actions` engine shared by the attributes and resource processors. */
export { type AttrActions, compileActions, convertValue, hashValue } from './attraction.js';
export { ACTIONS, type ActionConfig, type ActionName, actionSchema, actionsSchema } from './config.js';
