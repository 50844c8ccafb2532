/**
 * Options of the `file_storage` extension, with the Collector contrib's names and defaults
 * (extension/storage/filestorage) except `directory`, which is Stitch's own path.
 */
import { duration, z } from '../../config/schema.js';

/** Where queues live when `directory` is not set (a hostPath volume in the DaemonSet). */
export const DEFAULT_DIRECTORY = '/var/lib/stitch/file_storage';

/**
 * `compaction`: accepted so Collector configs run unchanged. Stitch's segmented log frees disk a
 * whole segment file at a time as records are acknowledged, so it never needs compaction.
 */
const compactionSchema = z
  .strictObject({
    on_start: z.boolean().default(false),
    on_rebound: z.boolean().default(false),
    directory: z.string().optional(),
    max_transaction_size: z.number().int().min(0).default(65_536),
    rebound_needed_threshold_mib: z.number().int().min(0).default(100),
    rebound_trigger_threshold_mib: z.number().int().min(0).default(10),
    check_interval: duration('5s'),
    cleanup_on_start: z.boolean().default(false),
  })
  .prefault({});

/** The strict schema of `file_storage`. */
export const fileStorageConfigSchema = z
  .strictObject({
    /** Root directory; each exporter+signal queue gets its own subdirectory. */
    directory: z.string().min(1).default(DEFAULT_DIRECTORY),
    /** How long to wait for another process's lock on a queue directory. */
    timeout: duration('1s'),
    /** fdatasync each write batch and the ack index before acknowledging (see README). */
    fsync: z.boolean().default(false),
    /** Create `directory` (mode `directory_permissions`) when it does not exist. */
    create_directory: z.boolean().default(false),
    directory_permissions: z
      .string()
      .regex(/^0?[0-7]{3}$/, 'expected an octal mode such as "0750"')
      .default('0750'),
    /** Accepted for compatibility; corrupt records are skipped one by one instead (see README). */
    recreate: z.boolean().default(false),
    compaction: compactionSchema,
  })
  .prefault({});

/** The parsed config (durations in ms). */
export type FileStorageConfig = z.output<typeof fileStorageConfigSchema>;
