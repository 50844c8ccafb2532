/** include/exclude matching shared by the attributes processor and the filter processor's legacy form. */
export {
  attributeMatchSchema,
  type MatchProperties,
  matchPropertiesSchema,
  severityFromName,
  severityNumberSchema,
} from './config.js';
export { compileMatcher, includeExclude, type Matcher, type MatchItem } from './matcher.js';
