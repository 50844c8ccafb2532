import { errors } from '../errors.js';

/** A parsed component ID: `type` or `type/name`. */
export interface ComponentId {
  readonly type: string;
  readonly name: string;
  /** The ID as written. */
  readonly id: string;
}

const TYPE_RE = /^[a-zA-Z][0-9a-zA-Z_]{0,62}$/;
const NAME_RE = /^[^\s/]+(?:[^\s]*[^\s/])?$/;

/**
 * Parses `type[/name]` with the Collector's rules: the type is a letter followed by letters,
 * digits or underscores; the name, after the first slash, is non-empty. Throws
 * STITCH_ERR_CONFIG_COMPONENT_ID with the reason.
 */
export function parseComponentId(id: string): ComponentId {
  const slash = id.indexOf('/');
  const type = slash === -1 ? id : id.slice(0, slash);
  const name = slash === -1 ? '' : id.slice(slash + 1);
  if (!TYPE_RE.test(type)) {
    throw errors.STITCH_ERR_CONFIG_COMPONENT_ID([id, 'the type must start with a letter and contain only letters, digits and _']);
  }
  if (slash !== -1 && !NAME_RE.test(name)) {
    throw errors.STITCH_ERR_CONFIG_COMPONENT_ID([id, 'the name after "/" must be non-empty and contain no spaces']);
  }
  return { type, name, id };
}
