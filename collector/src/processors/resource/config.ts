import { type Infer, z } from '../../config/schema.js';
import { actionsSchema } from '../internal/attraction/index.js';

/** The resource processor's options (contrib processor/resourceprocessor/config.go). */
export const resourceConfigSchema = z
  .strictObject({
    /** What to do to each resource's attributes, in order. Required, at least one. */
    attributes: actionsSchema.default([]),
  })
  .superRefine((c, ctx) => {
    if (c.attributes.length === 0)
      ctx.addIssue({ code: 'custom', path: ['attributes'], message: 'must have at least one action in "attributes"' });
  });

/** The parsed resource config. */
export type ResourceConfig = Infer<typeof resourceConfigSchema>;
