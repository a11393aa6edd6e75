/**
 * The model configuration: one schema (zod) with defaults, saved as `config.json` in every
 * run folder so that a checkpoint rebuilds exactly the same model.
 */
import { z } from 'zod';

export const MODEL_KINDS = ['sae', 'l-sae', 'sae-cnn', 'l-sae-cnn', 'sae-fno', 'l-sae-fno'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

const positiveInt = z.number().int().positive();

export const modelConfigSchema = z
  .strictObject({
    model: z.enum(MODEL_KINDS),
    dtype: z.enum(['float32', 'float64']).default('float32'),
    /** m: input dimension (SAE, L-SAE). */
    inputSize: positiveInt.optional(),
    /** c_in: input channels (functional models). */
    channels: positiveInt.default(1),
    /** p (SAE, L-SAE) or C (functional models). */
    concepts: positiveInt,
    /** K: kernel taps (SAE-CNN). */
    kernelSize: positiveInt.optional(),
    /** M: kept Fourier modes (SAE-FNO). */
    modes: positiveInt.optional(),
    /** h: lifting width (lifted models). */
    liftWidth: positiveInt.optional(),
    lifting: z.enum(['orthonormal', 'gaussian', 'explicit', 'learned']).default('orthonormal'),
    /** T: unrolled ISTA iterations. */
    iters: positiveInt.default(20),
    lambda: z.number().nonnegative().default(0.1),
    learnLambda: z.boolean().default(false),
    /** α: a fixed step, or 'auto' = 0.95/‖D‖² from the current dictionary (a constant for gradients). */
    alpha: z.union([z.number().positive(), z.literal('auto')]).default('auto'),
    oneSided: z.boolean().default(false),
    grad: z.enum(['full', 'decoder']).default('full'),
    normalize: z.boolean().default(true),
    /** SAE-FNO receptive-field matching: after each update keep only the first `taps` taps of the spatial kernel at `resolution`. */
    restrictTaps: z.strictObject({ taps: positiveInt, resolution: positiveInt }).nullable().default(null),
  })
  .superRefine((c, ctx) => {
    const need = (field: 'inputSize' | 'kernelSize' | 'modes' | 'liftWidth', why: string) => {
      if (c[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required for ${why}` });
    };
    if (c.model === 'sae' || c.model === 'l-sae') need('inputSize', c.model);
    if (c.model.endsWith('cnn')) need('kernelSize', c.model);
    if (c.model.endsWith('fno')) need('modes', c.model);
    if (c.model.startsWith('l-')) need('liftWidth', c.model);
    if (c.restrictTaps && !c.model.endsWith('fno')) ctx.addIssue({ code: 'custom', path: ['restrictTaps'], message: 'restrictTaps applies to SAE-FNO models only' });
  });

export type ModelConfigInput = z.input<typeof modelConfigSchema>;
export type ModelConfig = z.output<typeof modelConfigSchema>;

/** Parses and validates a model configuration; errors name the field. */
export function parseModelConfig(input: unknown): ModelConfig {
  const r = modelConfigSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.join('.') || '(root)';
    throw new RangeError(`model config: ${path}: ${issue.message}`);
  }
  return r.data;
}

export function isFunctional(kind: ModelKind): boolean {
  return kind !== 'sae' && kind !== 'l-sae';
}

export function isLifted(kind: ModelKind): boolean {
  return kind.startsWith('l-');
}
