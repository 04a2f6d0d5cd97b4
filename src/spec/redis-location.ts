/**
 * How options say where a topic lives on Redis when it is not at mqa's default names: the key prefix, the
 * stream key as it is on the server, and the field layout of another program's entries. One zod shape for
 * every feature that reads a topic's stream itself (`mqa tail`, `mqa replay`), so they accept and reject
 * the same things.
 */
import { z } from "zod";

export const redisLocationFields = {
  keyPrefix: z
    .string()
    .min(1)
    .regex(/^[^{}]*$/, "must not contain { or }")
    .optional(),
  key: z.string().min(1).max(512).optional(),
  fields: z
    .strictObject({
      payload: z.string().min(1),
      contentType: z.string().min(1).optional(),
      id: z.string().min(1).optional(),
    })
    .optional(),
};
