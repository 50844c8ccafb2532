/** Options of the `bearertokenauth` extension, as the Collector contrib's bearertokenauthextension. */
import { z } from '../../config/schema.js';

/** The strict schema: unknown keys fail; `token`, `tokens` and `filename` are mutually exclusive. */
export const bearerTokenAuthConfigSchema = z
  .strictObject({
    /** Auth scheme put before the token; empty sends/expects the bare token. */
    scheme: z.string().default('Bearer'),
    /** Header carrying the credentials (gRPC metadata key, lower-cased). */
    header: z.string().min(1).default('Authorization'),
    /** A static token. */
    token: z.string().optional(),
    /** Several accepted tokens (server side); a client sends the first. */
    tokens: z.array(z.string().min(1)).optional(),
    /** A file holding the token(s), one per line; re-read when it changes. */
    filename: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    const set = [c.token !== undefined, c.tokens !== undefined, c.filename !== undefined].filter(Boolean).length;
    if (set === 0) ctx.addIssue({ code: 'custom', message: 'one of "token", "tokens" or "filename" is required' });
    if (set > 1) ctx.addIssue({ code: 'custom', message: '"token", "tokens" and "filename" are mutually exclusive' });
  });

/** The parsed config. */
export type BearerTokenAuthConfig = z.output<typeof bearerTokenAuthConfigSchema>;
