import { type Infer, z } from '../../config/schema.js';
import { actionsSchema } from '../internal/attraction/index.js';
import { matchPropertiesSchema } from '../internal/matcher/index.js';

/** The attributes processor's options (contrib processor/attributesprocessor/config.go). */
export const attributesConfigSchema = z
  .strictObject({
    /** What to do to each span's, log record's or data point's attributes, in order. Required. */
    actions: actionsSchema.default([]),
    /** Only items matching these properties are processed. */
    include: matchPropertiesSchema.optional(),
    /** Items matching these properties are not processed (checked after `include`). */
    exclude: matchPropertiesSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.actions.length === 0) ctx.addIssue({ code: 'custom', path: ['actions'], message: 'missing required field "actions"' });
  });

/** The parsed attributes config. */
export type AttributesConfig = Infer<typeof attributesConfigSchema>;
