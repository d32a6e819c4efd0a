import { z } from 'zod';

export const idSchema = z.number().int().positive().max(2_147_483_647);

/** Path params arrive as strings; this accepts only canonical positive integers. */
export const idParamSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(idSchema);

export const isoDateSchema = z.iso.datetime();
