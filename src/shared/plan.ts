// A training plan is plain data: a list of stages run in order by one function. The panel edits
// it, the CLI reads it from a file, the engine runs it, the model card records it.
import { z } from 'zod'

export const SCHEDULES = ['one-cycle', 'cosine', 'sgdr', 'constant'] as const
export type ScheduleName = (typeof SCHEDULES)[number]

const lrValue = z.number().positive('a learning rate must be > 0').max(10, 'a learning rate above 10 is surely a mistake')

export const stageSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).default('stage'),
    /** groups before this index are frozen; negative counts from the end (fastai's freeze_to):
     * -1 = only the head trains, 0 = everything trains */
    freezeTo: z.number().int().default(-1),
    epochs: z.number().int().min(1).max(1000),
    /** one rate for every thawed group, or [lo, hi]: lo for the earliest thawed group, hi for the
     * head, geometric in between (fastai's slice(lo, hi)) */
    lr: z.union([lrValue, z.tuple([lrValue, lrValue])]),
    schedule: z.enum(SCHEDULES).default('one-cycle'),
    /** SGDR: epochs in the first cycle, and the factor each next cycle grows by */
    cycleLen: z.number().int().min(1).max(1000).default(1),
    cycleMult: z.number().min(1).max(10).default(2),
    /** share of the stage spent warming up (one-cycle, cosine) */
    warmupPct: z.number().min(0).max(0.99).default(0.25),
    /** keep batch-norm parameters trainable in frozen groups (fastai's train_bn) */
    trainBn: z.boolean().default(false),
    optimizer: z.enum(['adam', 'sgd']).default('adam'),
    /** decoupled weight decay (AdamW / SGDW), applied to kernels only */
    weightDecay: z.number().min(0).max(1).default(0.01),
    batchSize: z.number().int().min(1).max(1024).default(32),
    /** end the stage once validation loss has not improved for this many epochs (fastai's
     * EarlyStoppingCallback); unset: every epoch runs */
    patience: z.number().int().min(1).max(1000).optional()
  })
  .refine((s) => !Array.isArray(s.lr) || s.lr[0] <= s.lr[1], { message: 'lr [lo, hi] needs lo <= hi', path: ['lr'] })

export const planSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).default('plan'),
  stages: z.array(stageSchema).min(1, 'a plan needs at least one stage').max(20)
})

export type StageInput = z.input<typeof stageSchema>
export type Stage = z.output<typeof stageSchema>
export type PlanInput = z.input<typeof planSchema>
export type Plan = z.output<typeof planSchema>

/** Head only: the backbone stays frozen; with cached activations this takes seconds. */
export function headOnlyPlan(epochs = 10, lr = 3e-3): PlanInput {
  return { name: 'head only', stages: [{ name: 'head', freezeTo: -1, epochs, lr, schedule: 'one-cycle' }] }
}

/** fastai's fine_tune: one frozen epoch (warm-up of 99%), then everything thawed, with the base
 * rate halved and spread as slice(lr/200, lr/2). */
export function fineTunePlan(epochs = 5, lr = 2e-3, freezeEpochs = 1): PlanInput {
  return {
    name: 'fine-tune',
    stages: [
      { name: 'head', freezeTo: -1, epochs: freezeEpochs, lr, schedule: 'one-cycle', warmupPct: 0.99 },
      { name: 'all', freezeTo: 0, epochs, lr: [lr / 200, lr / 2], schedule: 'one-cycle', warmupPct: 0.3 }
    ]
  }
}

/** Head, then the last group, then the last two: each deeper stage with smaller rates. */
export function gradualThawPlan(epochs = 4, lr = 3e-3): PlanInput {
  return {
    name: 'gradual thaw',
    stages: [
      { name: 'head', freezeTo: -1, epochs, lr, schedule: 'one-cycle' },
      { name: 'last group', freezeTo: -2, epochs, lr: [lr / 30, lr / 3], schedule: 'one-cycle' },
      { name: 'last two groups', freezeTo: -3, epochs, lr: [lr / 100, lr / 10], schedule: 'one-cycle' }
    ]
  }
}

export const PRESETS = { 'head only': headOnlyPlan, 'fine-tune': fineTunePlan, 'gradual thaw': gradualThawPlan } as const
